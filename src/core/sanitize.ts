/**
 * Makes text safe to print on a terminal. The server applies it to all user text before relaying it
 * (so nobody can clear, recolour or rewrite another user's terminal, or forge a line with CR/LF),
 * and the terminal client applies it again to everything it prints (the server might not be ours).
 *
 * Contract: the result contains no C0 control character except TAB (U+0009), no DEL (U+007F) and no
 * C1 control character (U+0080–U+009F), so nothing in it can move the cursor, clear the screen,
 * change colours, set the window title or start a new line. Escape sequences are removed whole (not
 * just their ESC), so `\x1b[2J` leaves no stray `[2J`. Every other character, including all
 * printable Unicode, passes through unchanged, and the function is idempotent.
 */

const ESC = 0x1b;
const BEL = 0x07;
const TAB = 0x09;
/** 8-bit forms of the sequence introducers and of the String Terminator. */
const C1_DCS = 0x90;
const C1_SOS = 0x98;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_OSC = 0x9d;
const C1_PM = 0x9e;
const C1_APC = 0x9f;

function isControl(code: number): boolean {
  return (code < 0x20 && code !== TAB) || (code >= 0x7f && code <= 0x9f);
}

/**
 * Skips a control sequence body (parameter and intermediate bytes, then one final byte) starting at
 * `i`; returns the index after it. A body cut short by any other character ends where it was cut.
 */
function skipCsi(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x3f) i++;
    else return c >= 0x40 && c <= 0x7e ? i + 1 : i;
  }
  return i;
}

/**
 * Skips a control string (OSC, DCS, SOS, PM, APC) starting at `i` up to and including its terminator
 * (BEL, ESC \ or 8-bit ST). An unterminated string runs to the end of the text, as a terminal would
 * swallow it.
 */
function skipString(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BEL || c === C1_ST) return i + 1;
    if (c === ESC && text.charCodeAt(i + 1) === 0x5c) return i + 2;
    i++;
  }
  return i;
}

/** Skips what follows an ESC at `i - 1`; returns the index of the first character kept. */
function skipEscape(text: string, i: number): number {
  if (i >= text.length) return i;
  const c = text.charCodeAt(i);
  if (c === 0x5b) return skipCsi(text, i + 1); // ESC [
  if (c === 0x5d || c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) return skipString(text, i + 1); // ESC ] P X ^ _
  if (c >= 0x20 && c <= 0x2f) {
    // ESC, intermediates, final byte (e.g. ESC ( B selects a character set).
    while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
    const f = text.charCodeAt(i);
    return f >= 0x30 && f <= 0x7e ? i + 1 : i;
  }
  if (c >= 0x30 && c <= 0x7e) return i + 1; // two-character sequences such as ESC c (reset) or ESC 7
  return i; // a lone ESC: drop just the ESC
}

export function stripControls(text: string): string {
  let out = '';
  let kept = 0; // start of the run of safe characters not yet copied to `out`
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!isControl(c)) {
      i++;
      continue;
    }
    out += text.slice(kept, i);
    if (c === ESC) i = skipEscape(text, i + 1);
    else if (c === C1_CSI) i = skipCsi(text, i + 1);
    else if (c === C1_OSC || c === C1_DCS || c === C1_SOS || c === C1_PM || c === C1_APC) i = skipString(text, i + 1);
    else i++;
    kept = i;
  }
  return kept === 0 ? text : out + text.slice(kept);
}

/** User text as the chat relays it: controls stripped, then trimmed. */
export function cleanText(raw: string): string {
  return stripControls(raw).trim();
}
