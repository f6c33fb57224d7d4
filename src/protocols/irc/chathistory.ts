import { thatFit } from '../../core/history.js';
import { DEFAULTS } from '../../core/limits.js';
import type { ChatMember } from '../../core/member.js';
import type { HistoryEntry, HistoryRange } from '../../core/store.js';
import { channel } from './render.js';
import { safeParam } from './params.js';
import type { IrcSession } from './session.js';

/**
 * IRCv3 `draft/chathistory` (ircv3.net/specs/extensions/chathistory): CHATHISTORY LATEST, BEFORE,
 * AFTER, AROUND and BETWEEN over a room's stored lines (ChatStore.historyRange), by `timestamp=`
 * (msgid references are not supported: there are no msgids; TARGETS is not supported either).
 *
 * Contract:
 * - Only a channel the user is in (INVALID_TARGET otherwise, as for one that does not exist).
 * - At most `chathistoryMax` lines (ISUPPORT CHATHISTORY=), and one reply within the user's outbox
 *   bounds (core/history.ts thatFit): the lines nearest the reference are kept when not all fit.
 * - The answer is `BATCH +id chathistory #room`, the lines, `BATCH -id` with `batch`, the lines
 *   alone without it. With server-time the lines are the live ones with `@time=`; without it they
 *   are the /history lines (their text marked `[HISTORY time]`). Topic changes come as a NOTICE
 *   (without draft/event-playback only PRIVMSG and NOTICE may be in the batch).
 * - Bad input is a `FAIL CHATHISTORY` standard reply (INVALID_PARAMS, INVALID_TARGET,
 *   INVALID_MSGREFTYPE; MESSAGE_ERROR when the store fails) and changes nothing.
 * - Input waits for the store, so the answer keeps its place among the client's commands.
 */

/** ISUPPORT CHATHISTORY=: the most lines one request returns. */
export function chathistoryMax(s: IrcSession): number {
  return Math.max(1, Math.min(s.ctx.store.limits.history, DEFAULTS.ircChathistoryMax));
}

/** References each subcommand takes before its limit. */
const REFS: ReadonlyMap<string, number> = new Map([
  ['LATEST', 1],
  ['BEFORE', 1],
  ['AFTER', 1],
  ['AROUND', 1],
  ['BETWEEN', 2],
]);

/** `timestamp=YYYY-MM-DDThh:mm:ss.sssZ` as server-time writes it (the fraction optional). */
const TIMESTAMP = /^timestamp=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)$/;

let batches = 0;

export function chathistory(s: IrcSession, p: readonly string[], m: ChatMember): void {
  if (p.length === 0) return fail(s, 'INVALID_PARAMS', ['*'], 'Insufficient parameters');
  const sub = p[0]!.toUpperCase();
  const refs = REFS.get(sub);
  if (refs === undefined) return fail(s, 'INVALID_PARAMS', [p[0]!], 'Unknown command');
  if (p.length < refs + 3) return fail(s, 'INVALID_PARAMS', [sub], 'Insufficient parameters');
  if (p.length > refs + 3) return fail(s, 'INVALID_PARAMS', [sub], 'Too many parameters');
  const target = p[1]!;
  const times: number[] = [];
  for (const ref of p.slice(2, 2 + refs)) {
    if (sub === 'LATEST' && ref === '*') continue;
    if (/^msgid=/i.test(ref)) return fail(s, 'INVALID_MSGREFTYPE', [sub, target], 'msgid-based history requests are not supported');
    const at = timestampOf(ref);
    if (at === undefined) return fail(s, 'INVALID_PARAMS', [sub, ref], 'Invalid timestamp');
    times.push(at);
  }
  const asked = p[2 + refs]!;
  const limit = /^\d{1,15}$/.test(asked) ? Number(asked) : 0;
  if (limit < 1) return fail(s, 'INVALID_PARAMS', [sub, asked], 'Invalid limit');
  const room = target.startsWith('#') ? target.slice(1) : undefined;
  if (room === undefined || !m.rooms.has(room)) return fail(s, 'INVALID_TARGET', [sub, target], 'Messages could not be retrieved');
  const max = Math.min(limit, chathistoryMax(s));
  s.core.wait(
    select(s, room, sub, times, max).then(
      ({ entries, keep }) => {
        if (m.active) m.reply(answer(s, m, room, entries, keep));
      },
      (err: unknown) => {
        s.ctx.log.error('STORE', `CHATHISTORY of ${m.name}: ${err instanceof Error ? err.message : String(err)}`, { user: m.name });
        if (m.active) m.reply(Buffer.from(failLine(s, 'MESSAGE_ERROR', [sub, target], 'Messages could not be retrieved')));
      },
    ),
  );
}

/** The ms of a `timestamp=` reference, or undefined when it is not a real UTC time. */
function timestampOf(ref: string): number | undefined {
  const iso = TIMESTAMP.exec(ref)?.[1];
  if (iso === undefined) return undefined;
  const at = Date.parse(iso);
  // Date.parse rolls 02-30 over to March: the date must come back as it was written.
  return Number.isFinite(at) && new Date(at).toISOString().slice(0, 19) === iso.slice(0, 19) ? at : undefined;
}

interface Selection {
  readonly entries: HistoryEntry[];
  /** Which end to keep when not all fit in one reply: the one nearest the reference. */
  readonly keep: 'newest' | 'oldest';
}

async function select(s: IrcSession, room: string, sub: string, times: readonly number[], limit: number): Promise<Selection> {
  const range = (r: HistoryRange): Promise<HistoryEntry[]> => s.ctx.store.historyRange(room, r);
  const [a, b] = times;
  switch (sub) {
    case 'LATEST':
      return { entries: await range(a === undefined ? { limit } : { after: a, limit }), keep: 'newest' };
    case 'BEFORE':
      return { entries: await range({ before: a!, limit }), keep: 'newest' };
    case 'AFTER':
      return { entries: await range({ after: a!, limit, from: 'oldest' }), keep: 'oldest' };
    case 'AROUND': {
      // Half before the time, the rest from it on (a line at that very ms included).
      const older = await range({ before: a!, limit: Math.floor(limit / 2) });
      const newer = await range({ after: a! - 1, limit: limit - older.length, from: 'oldest' });
      return { entries: [...older, ...newer], keep: 'newest' };
    }
    default:
      // BETWEEN: counted from the first reference towards the second, either way in time.
      return a! <= b! ? { entries: await range({ after: a!, before: b!, limit, from: 'oldest' }), keep: 'oldest' } : { entries: await range({ after: b!, before: a!, limit }), keep: 'newest' };
  }
}

/** The batch (or the bare lines without `batch`) as one reply within the outbox bounds. */
function answer(s: IrcSession, m: ChatMember, room: string, entries: readonly HistoryEntry[], keep: 'newest' | 'oldest'): Buffer {
  const { renderers, serverName } = s.settings;
  const id = s.caps.has('batch') ? `ch${(++batches).toString(36)}` : undefined;
  const open = id === undefined ? '' : renderers.plain.line(undefined, serverName, 'BATCH', [`+${id}`, 'chathistory', channel(room)]);
  const close = id === undefined ? '' : renderers.plain.line(undefined, serverName, 'BATCH', [`-${id}`]);
  const timed = s.caps.has('server-time');
  const render = (e: HistoryEntry): Buffer => {
    // With server-time a stored message reads as the live one did; the time is in the tag.
    const plain = renderers.plain.render(timed && e.kind !== 'topic' ? { kind: e.kind, stamp: { id: 0, at: e.at, origin: 'history' }, from: e.from, room: e.room, text: e.text } : { kind: 'history', entry: e });
    const tags = [timed ? `time=${new Date(e.at).toISOString()}` : '', id === undefined ? '' : `batch=${id}`].filter((t) => t !== '').join(';');
    return tags === '' ? plain : Buffer.from(plain.toString('utf8').replace(/^(?=.)/gm, `@${tags} `), 'utf8');
  };
  const lines = thatFit(m, entries, Buffer.byteLength(open) + Buffer.byteLength(close), render, keep);
  return Buffer.concat([Buffer.from(open), ...lines, Buffer.from(close)]);
}

/** `:NAME FAIL CHATHISTORY CODE params... :text`; user input echoed as safe middle params. */
function failLine(s: IrcSession, code: string, params: readonly string[], text: string): string {
  return s.renderer.line(undefined, s.settings.serverName, 'FAIL', ['CHATHISTORY', code, ...params, text].map(safeParam), true);
}

function fail(s: IrcSession, code: string, params: readonly string[], text: string): void {
  s.raw(failLine(s, code, params, text));
}
