/**
 * How a numeric's params go out: user input echoed safely, and which numerics end in a bare token.
 * Pure; used by the session's `num` and by CHATHISTORY's FAIL lines.
 */

/** Longest user input echoed in a middle param (a name is at most 33 bytes). */
const ECHO_MAX = 64;

/**
 * Params echoing user input (a command name, a target) may hold anything a line can: no CR, LF or
 * NUL may go back out, a middle param may not hold a space or be empty, and none is echoed long.
 */
export function safeParam(p: string, i: number, all: readonly string[]): string {
  const last = i === all.length - 1;
  let v = p.replace(/[\r\n\0]/g, '');
  if (!last) {
    v = v.slice(0, ECHO_MAX).replace(/ /g, '_');
    if (v === '' || v.startsWith(':')) v = `*${v}`;
  }
  return v;
}

/**
 * Numerics whose last param is a token (modes, a time, a server's modes), written without a colon as
 * other servers do; every other numeric's last param is text and always gets its colon.
 */
export const BARE_LAST: ReadonlySet<string> = new Set(['004', '221', '324', '329', '333', '341']);
