import type { CloseCode } from './close-reasons.js';

/**
 * What the hub routes. Events are protocol-neutral facts; each protocol renders them into its own
 * bytes (src/protocols/<name>/render.ts). Text in events is already sanitised (src/core/actions.ts
 * does it once, for every protocol).
 */

import type { HistoryEntry, OfflineEntry } from './store.js';

/**
 * Where and when an event was made, stamped once where it is created (the hub) and never changed:
 * history keeps it, offline delivery shows its time, and a cluster de-duplicates by origin + id.
 */
export interface Stamp {
  /** Per-origin sequence number, increasing by one per stamped event. */
  readonly id: number;
  /** Wall-clock time of creation, ms since the epoch. */
  readonly at: number;
  /** The node that created it ('local' on a single server). */
  readonly origin: string;
}

export type ChatEvent =
  /** A user said something in a room. */
  | { readonly kind: 'message'; readonly stamp: Stamp; readonly from: string; readonly room: string; readonly text: string }
  /** `/me`: an action in a room. */
  | { readonly kind: 'action'; readonly stamp: Stamp; readonly from: string; readonly room: string; readonly text: string }
  /** A private message to one user. */
  | { readonly kind: 'private'; readonly stamp: Stamp; readonly from: string; readonly to: string; readonly text: string }
  /**
   * Someone entered a room: at login (`login`, into the default room) or later (`join`; the text
   * protocol's /join is a part followed by a join).
   */
  | { readonly kind: 'joined'; readonly stamp: Stamp; readonly user: string; readonly room: string; readonly how: 'login' | 'join' }
  /**
   * Someone left a room (`part`), or the chat (`logout`: one per neighbour, whatever rooms they
   * share). `reason`: the user's own parting words (IRC's `QUIT :reason`), already sanitised; shown
   * by protocols that have a place for it.
   */
  | { readonly kind: 'left'; readonly stamp: Stamp; readonly user: string; readonly room: string; readonly how: 'logout' | 'part'; readonly reason?: string }
  /**
   * A user set (`text`) or cleared ('') their away status: sent once to each neighbour (whoever
   * shares a room with them), like a logout. Protocols without an away status render nothing.
   */
  | { readonly kind: 'away'; readonly stamp: Stamp; readonly user: string; readonly text: string }
  /** A room's topic was set (`text` '' = cleared). */
  | { readonly kind: 'topic'; readonly stamp: Stamp; readonly by: string; readonly room: string; readonly text: string }
  /** A room event from the store, replayed to one user (/history, --replay-on-join). */
  | { readonly kind: 'history'; readonly entry: HistoryEntry }
  /** A private message kept while its recipient was offline, delivered at their login. */
  | { readonly kind: 'offline'; readonly entry: OfflineEntry }
  /** The server speaking to one user (errors, command output, notices). Not stamped: never stored. */
  | { readonly kind: 'notice'; readonly text: string }
  /**
   * The last thing a connection gets before the server closes it (IRC renders it as ERROR).
   * `code`, when given, is why, for protocols that have their own words for it (IRC's `SendQ exceeded`).
   */
  | { readonly kind: 'closing'; readonly text: string; readonly code?: CloseCode };

export type ChatEventKind = ChatEvent['kind'];

/**
 * Turns events into wire bytes. One instance per protocol (or per variant a client chose before
 * login, as IRC's server-time); the hub caches its output per broadcast.
 *
 * Contract:
 * - `render` MUST be pure: the same event always renders to the same bytes, shared by every
 *   recipient of that protocol (so nothing per recipient may appear in them).
 * - Each render is self-delimiting and safe to concatenate: a recipient may get several renders in
 *   one write (notice batches, coalesced flushes), and each must still parse on its own.
 * - An empty render means "nothing for this protocol" (the text protocol has no away status): the
 *   hub then queues nothing.
 * - `id` names the protocol ('text', 'irc', 'ws') in logs and caches.
 */
export interface Renderer {
  readonly id: string;
  render(event: ChatEvent): Buffer;
}
