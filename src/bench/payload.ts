/**
 * The bench message text: `b <phase> <sender> <seq> <sendMicros>`, ASCII, at most ~60 bytes, far
 * below the server's --max-line (4096). `phase` separates measurement steps so a message that
 * arrives after its step was counted is recognised as stale instead of counted twice.
 */
export function formatPayload(phase: number, sender: number, seq: number, micros: number): string {
  return `b ${phase} ${sender} ${seq} ${micros}`;
}

/** Reused output of parsePayload: the hot path fills it instead of allocating an object per line. */
export interface PayloadFields {
  phase: number;
  sender: number;
  seq: number;
  micros: number;
  /** When the read that carried this line arrived: stamped once per read, not per line. */
  recvMicros: number;
}

const B = 0x62;
const SP = 0x20;

/**
 * Parses a payload starting at `buf[start]` (must be `b `) and ending before `end`, straight from
 * the bytes. Returns false when the bytes are not a bench payload (any other chat line).
 */
export function parsePayload(buf: Uint8Array, start: number, end: number, out: PayloadFields): boolean {
  if (end - start < 10 || buf[start] !== B || buf[start + 1] !== SP) return false;
  let i = start + 2;
  let field = 0;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      n = n * 10 + (c - 0x30);
      digits++;
    } else if (c === SP && digits > 0 && field < 3) {
      if (field === 0) out.phase = n;
      else if (field === 1) out.sender = n;
      else out.seq = n;
      field++;
      n = 0;
      digits = 0;
    } else if (c === 0x0d && i === end - 1) {
      break;
    } else {
      return false;
    }
  }
  if (field !== 3 || digits === 0) return false;
  out.micros = n;
  return true;
}

/**
 * Finds the payload in a text-protocol chat line `<user>: b ...` (or a bare `b ...`, which the seed
 * server produces when two of our lines arrive in one recv and it relays them as one message).
 * Returns the payload's start or -1. Usernames are at most 32 bytes, so the scan is bounded.
 */
export function payloadStartInChatLine(buf: Uint8Array, start: number, end: number): number {
  if (buf[start] === B && buf[start + 1] === SP) return start;
  const limit = Math.min(end - 2, start + 40);
  for (let i = start; i < limit; i++) {
    if (buf[i] === 0x3a) return buf[i + 1] === SP ? i + 2 : -1;
  }
  return -1;
}

const WS_MESSAGE_PREFIX = Buffer.from('{"type":"message",');
const WS_TEXT_MARKER = Buffer.from('"text":"');

/**
 * Parses the payload out of a browser-protocol `message` frame's JSON
 * (`{"type":"message",...,"text":"b ..."}`) straight from the bytes, without JSON.parse. Safe for
 * any valid JSON: inside a JSON string every `"` is escaped, so the first `"text":"` is the key,
 * and our payload (digits, `b` and spaces) needs no escapes, so it ends at the next `"`. A text that
 * is not a bench payload, or any other frame, returns false.
 */
export function parseWsMessagePayload(buf: Buffer, start: number, end: number, out: PayloadFields): boolean {
  if (end - start < WS_MESSAGE_PREFIX.length || buf.compare(WS_MESSAGE_PREFIX, 0, WS_MESSAGE_PREFIX.length, start, start + WS_MESSAGE_PREFIX.length) !== 0) return false;
  const m = buf.indexOf(WS_TEXT_MARKER, start);
  if (m < 0 || m + WS_TEXT_MARKER.length >= end) return false;
  const p = m + WS_TEXT_MARKER.length;
  const q = buf.indexOf(0x22, p);
  if (q < 0 || q >= end) return false;
  return parsePayload(buf, p, q, out);
}

const AT = 0x40;
const COLON = 0x3a;
const PRIVMSG = Buffer.from('PRIVMSG ');

/** The first space at or after `i` and before `end`, or -1: never scans past the line. */
function spaceAt(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) if (buf[i] === SP) return i;
  return -1;
}

/** Where an IRC line's command starts, after the optional `@tags ` and `:prefix `; -1 when it has none. */
export function ircCommandStart(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  if (buf[i] === AT) {
    const sp = spaceAt(buf, i, end);
    if (sp < 0) return -1;
    i = sp + 1;
  }
  if (buf[i] === COLON) {
    const sp = spaceAt(buf, i, end);
    if (sp < 0) return -1;
    i = sp + 1;
  }
  return i < end ? i : -1;
}

/** True when the IRC line's command at `c` is `word` followed by a space. */
export function ircCommandIs(buf: Uint8Array, c: number, end: number, word: Buffer): boolean {
  if (c < 0 || end - c <= word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[c + k] !== word[k]) return false;
  return true;
}

/**
 * The start of the text of an IRC `PRIVMSG <target> :<text>` line (`:nick!u@h PRIVMSG #bench :b ...`),
 * or -1 for any other line, straight from the bytes. The bench's clients sit in one channel, so the
 * target is not compared.
 */
export function ircPrivmsgText(buf: Uint8Array, start: number, end: number): number {
  const c = ircCommandStart(buf, start, end);
  if (!ircCommandIs(buf, c, end, PRIVMSG)) return -1;
  const sp = spaceAt(buf, c + PRIVMSG.length, end);
  return sp >= 0 && sp + 2 < end && buf[sp + 1] === COLON ? sp + 2 : -1;
}
