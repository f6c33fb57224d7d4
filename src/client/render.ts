/**
 * Recognises the kinds of line the server sends (docs/PROTOCOL.md, "Lines the server sends") and
 * colours them for a terminal. Input lines must already be sanitised: colouring adds the only
 * escape sequences that reach the screen.
 */

export type LineKind = 'welcome' | 'private' | 'server' | 'presence' | 'action' | 'chat' | 'other';

export interface ClassifiedLine {
  readonly kind: LineKind;
  /** For `chat` lines: the sender's name, which starts the line. */
  readonly name?: string;
}

const PRESENCE = [/^\S+ joined the chat\.$/, /^\S+ left the chat\.$/, /^\S+ joined room \S+\.$/, /^\S+ left room \S+\.$/];
/** Names never contain white space or a colon, so the first `: ` ends the sender's name. */
const CHAT = /^([^\s:]+): /;

export function classifyLine(line: string): ClassifiedLine {
  if (line.startsWith('[PRIVATE] ')) return { kind: 'private' };
  if (line.startsWith('[SERVER] ')) return { kind: 'server' };
  if (line.startsWith('* ')) return { kind: 'action' };
  if (/^Welcome \S+! /.test(line)) return { kind: 'welcome' };
  if (PRESENCE.some((re) => re.test(line))) return { kind: 'presence' };
  const m = CHAT.exec(line);
  if (m) return { kind: 'chat', name: m[1]! };
  return { kind: 'other' };
}

const RESET = '\x1b[0m';
const STYLE: Record<Exclude<LineKind, 'chat' | 'other'>, string> = {
  welcome: '\x1b[1;32m', // bold green
  private: '\x1b[35m', // magenta
  server: '\x1b[33m', // yellow
  presence: '\x1b[90m', // grey
  action: '\x1b[3;36m', // italic cyan
};
/**
 * Sender names get one of these (bold) by a hash of the name, so each person keeps a colour.
 * Magenta and yellow are left out: they mark private and server lines.
 */
const NAME_STYLES = ['\x1b[1;32m', '\x1b[1;34m', '\x1b[1;36m', '\x1b[1;31m', '\x1b[1;94m', '\x1b[1;92m'];

function nameStyle(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return NAME_STYLES[h % NAME_STYLES.length]!;
}

/** The line as it should appear: unchanged without colour, else wrapped in SGR codes by kind. */
export function renderLine(line: string, color: boolean): string {
  if (!color) return line;
  const c = classifyLine(line);
  if (c.kind === 'other') return line;
  if (c.kind === 'chat') {
    const name = c.name!;
    return `${nameStyle(name)}${name}${RESET}${line.slice(name.length)}`;
  }
  if (c.kind === 'private' || c.kind === 'server') {
    // The tag in bold so it stands out even where the colour is hard to tell apart.
    const tag = c.kind === 'private' ? '[PRIVATE]' : '[SERVER]';
    return `\x1b[1m${STYLE[c.kind]}${tag}${RESET}${STYLE[c.kind]}${line.slice(tag.length)}${RESET}`;
  }
  return `${STYLE[c.kind]}${line}${RESET}`;
}

/**
 * Whether to colour output: only on a terminal, never when NO_COLOR is set to a non-empty value
 * (no-color.org), with --no-color, or on a dumb terminal.
 */
export function shouldColor(isTTY: boolean, noColorFlag: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!isTTY || noColorFlag) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return env['TERM'] !== 'dumb';
}
