/**
 * IRC messages <-> text lines (modern.ircdocs.horse "Messages", IRCv3 message-tags). Pure: no
 * sockets, no state. Framing (bytes -> lines, bounded) is src/core/line-decoder.ts.
 *
 * Contract:
 * - `parseMessage` never throws: any string (NUL bytes, garbage, a lone `:`) gives a message or
 *   undefined (nothing but spaces and tags: no command). Whether a command exists or has enough
 *   parameters is the command table's business, answered with a numeric.
 * - Commands are upper-cased; tag values are unescaped; params keep their text exactly.
 * - `formatMessage(parseMessage(x))` round-trips any message whose middle params are non-empty, hold
 *   no space and do not start with `:` (the last param may be anything without CR, LF or NUL).
 * - `splitLength` tells the session how long the tag part and the rest of a line are, for the
 *   512 / 8191-byte limits (ERR_INPUTTOOLONG).
 */

export interface IrcMessage {
  /** IRCv3 tags; a tag without a value maps to ''. */
  readonly tags: ReadonlyMap<string, string>;
  /** The `:source` prefix, without the colon. */
  readonly source: string | undefined;
  readonly command: string;
  readonly params: readonly string[];
}

const NO_TAGS: ReadonlyMap<string, string> = new Map();

/** Parses one line (without its CR/LF). Undefined when the line holds no command. */
export function parseMessage(line: string): IrcMessage | undefined {
  let i = skipSpaces(line, 0);
  let tags = NO_TAGS;
  if (line.charCodeAt(i) === 0x40 /* @ */) {
    const end = wordEnd(line, i);
    tags = parseTags(line.slice(i + 1, end));
    i = skipSpaces(line, end);
  }
  let source: string | undefined;
  if (line.charCodeAt(i) === 0x3a /* : */) {
    const end = wordEnd(line, i);
    source = line.slice(i + 1, end);
    i = skipSpaces(line, end);
  }
  if (i >= line.length) return undefined;
  const cmdEnd = wordEnd(line, i);
  const command = line.slice(i, cmdEnd).toUpperCase();
  const params: string[] = [];
  i = skipSpaces(line, cmdEnd);
  while (i < line.length) {
    if (line.charCodeAt(i) === 0x3a) {
      params.push(line.slice(i + 1));
      break;
    }
    const end = wordEnd(line, i);
    params.push(line.slice(i, end));
    i = skipSpaces(line, end);
  }
  return { tags, source, command, params };
}

/** A message as one line, without CRLF. */
export function formatMessage(msg: IrcMessage): string {
  let out = '';
  if (msg.tags.size > 0) {
    const parts: string[] = [];
    for (const [k, v] of msg.tags) parts.push(v === '' ? k : `${k}=${escapeTag(v)}`);
    out = `@${parts.join(';')} `;
  }
  if (msg.source !== undefined) out += `:${msg.source} `;
  return out + formatCommand(msg.command, msg.params);
}

/**
 * `COMMAND p1 p2 :last`: the last param gets its colon when it needs one, or always with `trailing`
 * (CAP lists, QUIT reasons: some clients read those as trailing whatever they hold).
 */
export function formatCommand(command: string, params: readonly string[], trailing = false): string {
  let out = command;
  const n = params.length;
  for (let k = 0; k < n; k++) {
    const p = params[k]!;
    out += k === n - 1 && (trailing || needsColon(p)) ? ` :${p}` : ` ${p}`;
  }
  return out;
}

/** The last param must be written as a trailing one (`:text`). */
function needsColon(p: string): boolean {
  return p === '' || p.charCodeAt(0) === 0x3a || p.includes(' ');
}

/** Bytes of the tag part (`@...` and its space, 0 without tags) and of the rest of a line. */
export function splitLength(line: Buffer): { tagBytes: number; restBytes: number } {
  if (line[0] !== 0x40) return { tagBytes: 0, restBytes: line.length };
  let end = line.indexOf(0x20);
  if (end === -1) end = line.length - 1;
  while (line[end + 1] === 0x20) end++;
  return { tagBytes: end + 1, restBytes: line.length - end - 1 };
}

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === 0x20) i++;
  return i;
}

function wordEnd(s: string, i: number): number {
  const sp = s.indexOf(' ', i);
  return sp === -1 ? s.length : sp;
}

function parseTags(raw: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const item of raw.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq === -1) tags.set(item, '');
    else tags.set(item.slice(0, eq), unescapeTag(item.slice(eq + 1)));
  }
  return tags;
}

const UNESCAPE: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };
const ESCAPE: Readonly<Record<string, string>> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };

/** IRCv3 tag value unescaping: `\:` `\s` `\\` `\r` `\n`; another escaped character is itself; a lone trailing `\` is dropped. */
export function unescapeTag(v: string): string {
  if (!v.includes('\\')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c !== '\\') out += c;
    else if (i + 1 < v.length) out += UNESCAPE[v[++i]!] ?? v[i];
  }
  return out;
}

export function escapeTag(v: string): string {
  return v.replace(/[; \\\r\n]/g, (c) => ESCAPE[c]!);
}
