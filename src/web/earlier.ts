// A room's earlier messages (its stored history): asked for when the room is first opened, older
// pages when the reader reaches the top of its log, stopping when the server says there is no
// more. The `history: true` lines of an answer are collected until its `history-end`, so a page
// goes into the log at once, above the live lines. No DOM: the sink shows the pages.
//
// Lines said in the same millisecond share their time, so `before` = the oldest line's time would
// skip the unseen lines of that millisecond. The page asks instead for the lines up to and
// including it (`before` = oldest + 1) and `limit` = a page plus the lines of that millisecond it
// shows (which come back first and are shown once: log.ts drops lines it has). Should a page bring
// nothing new (a millisecond holding more lines than --history), the next asks strictly older.
import { HISTORY_PAGE, type ClientMessage } from '../protocols/ws/messages.js';
import type { EarlierState, Line } from './log.js';

/** No answer in this long (a reply refused by a full queue, a request lost): it may be asked again. */
const ANSWER_MS = 15_000;

export interface EarlierSink {
  /** Shows a page of earlier lines (oldest first; maybe none) at the top of a room's log, and what is left. */
  show(room: string, lines: readonly Line[], state: EarlierState): void;
  /** Whether the room's log is as long as it may be (no older lines then). */
  full(room: string): boolean;
}

interface Paging {
  /** The lines of the answer under way. */
  batch: Line[];
  loading: boolean;
  /** Older lines are stored (or the last request went unanswered: ask again). */
  more: boolean;
  /** The `at` of the oldest earlier line shown. */
  oldest: number | undefined;
  /** The keys of the lines shown at `oldest`. */
  atOldest: Set<string>;
  /** The last page brought nothing new: ask strictly older than `oldest`. */
  stuck: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class EarlierMessages {
  private readonly rooms = new Map<string, Paging>();

  constructor(
    private readonly send: (msg: ClientMessage) => boolean,
    private readonly sink: EarlierSink,
  ) {}

  /** A room the user is in is on screen: the first time, its recent lines are asked for. */
  opened(room: string): void {
    if (this.rooms.has(room)) return;
    const paging: Paging = { batch: [], loading: false, more: false, oldest: undefined, atOldest: new Set(), stuck: false, timer: undefined };
    this.rooms.set(room, paging);
    this.ask(room, paging);
  }

  /** The reader wants older lines (scrolled to the top, or pressed *Load earlier messages*). */
  older(room: string): void {
    const paging = this.rooms.get(room);
    if (!paging || paging.loading || !paging.more || this.sink.full(room)) return;
    this.ask(room, paging);
  }

  /**
   * A `history: true` line of `room`: kept for the answer under way (true), or false when no
   * request is (a /history typed in the box): the caller shows it where it arrives.
   */
  line(room: string, line: Line): boolean {
    const paging = this.rooms.get(room);
    if (!paging?.loading) return false;
    paging.batch.push(line);
    return true;
  }

  /** `history-end`: the answer's lines go in as one page. */
  end(room: string, more: boolean): void {
    const paging = this.rooms.get(room);
    if (!paging?.loading) return;
    clearTimeout(paging.timer);
    // Lines replayed by the server on its own (--replay-on-join) may have joined the answer: in time order.
    const lines = paging.batch.sort((a, b) => a.at - b.at);
    paging.batch = [];
    paging.loading = false;
    const oldest = lines[0]?.at;
    const before = paging.atOldest.size;
    if (oldest !== undefined && (paging.oldest === undefined || oldest < paging.oldest)) {
      paging.oldest = oldest;
      paging.atOldest.clear();
    }
    for (const line of lines) if (line.at === paging.oldest) paging.atOldest.add(line.key ?? line.text);
    paging.stuck = oldest === paging.oldest && paging.atOldest.size === before && before > 0;
    paging.more = more && paging.oldest !== undefined;
    this.sink.show(room, lines, paging.more ? 'more' : 'start');
  }

  /** Logged in again after a lost connection: what was asked and not answered is asked again. */
  reconnected(): void {
    for (const [room, paging] of this.rooms) if (paging.loading) this.ask(room, paging);
  }

  /** Another login on this page: everything is forgotten. */
  reset(): void {
    for (const paging of this.rooms.values()) clearTimeout(paging.timer);
    this.rooms.clear();
  }

  private ask(room: string, paging: Paging): void {
    clearTimeout(paging.timer);
    paging.batch = [];
    const { oldest, stuck } = paging;
    const sent = this.send(oldest === undefined ? { type: 'history', room } : stuck ? { type: 'history', room, before: oldest } : { type: 'history', room, before: oldest + 1, limit: HISTORY_PAGE + paging.atOldest.size });
    paging.loading = sent;
    if (!sent) return this.unanswered(room, paging);
    paging.timer = setTimeout(() => this.unanswered(room, paging), ANSWER_MS);
    this.sink.show(room, [], 'loading');
  }

  private unanswered(room: string, paging: Paging): void {
    paging.loading = false;
    paging.batch = [];
    paging.more = true;
    this.sink.show(room, [], 'more');
  }
}
