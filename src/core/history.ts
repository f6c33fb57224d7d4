import type { ChatContext } from './context.js';
import type { ChatEvent } from './events.js';
import type { ChatMember } from './member.js';
import { cleanText } from './sanitize.js';
import type { HistoryEntry } from './store.js';

/**
 * What the chat remembers, as the users meet it: room events written to the store, /history,
 * --replay-on-join, and private messages kept for users who are offline. Over the ChatStore
 * (src/core/store.ts), whichever implementation the server opened.
 *
 * Contract:
 * - `remember` is on the hot path: it only queues (ChatStore.append MUST NOT block).
 * - Replayed lines are a reply (within the user's outbox bounds): at most half of --queue-bytes in
 *   one reply, the newest lines kept, so a long /history cannot be refused whole or fill memory.
 * - Offline messages are acknowledged to the sender only after the store committed them; they are
 *   delivered once, after the welcome, and deleted.
 * - A room line the store could not write was still delivered; its sender is told so once per
 *   failure streak (`watchSaves`), when the batch failed, never by making the hub wait.
 */

/** Stores a room event worth remembering (messages, actions, topics). */
export function remember(m: ChatMember, event: ChatEvent | undefined): void {
  if (event === undefined) return;
  if (event.kind === 'message' || event.kind === 'action') m.ctx.store.append({ room: event.room, kind: event.kind, from: event.from, text: event.text, at: event.stamp.at });
  else if (event.kind === 'topic') m.ctx.store.append({ room: event.room, kind: 'topic', from: event.by, text: event.text, at: event.stamp.at });
}

/**
 * The last `n` lines of `room` as one reply, oldest first, then `end` (a closing notice, or none).
 * Resolves with how many lines were sent (0 when the reply did not fit).
 */
export async function replay(m: ChatMember, room: string, n: number, end?: string): Promise<number> {
  const entries = await m.ctx.store.history(room, n);
  if (!m.active) return 0;
  const parts = newestThatFit(m, entries, end === undefined ? 0 : m.renderer.render({ kind: 'notice', text: end }).length);
  if (end !== undefined) parts.push(m.renderer.render({ kind: 'notice', text: parts.length < entries.length ? `${end} (the ${parts.length} newest lines that fit in one reply)` : end }));
  if (parts.length === 0) return 0;
  return m.reply(Buffer.concat(parts)) ? parts.length - (end === undefined ? 0 : 1) : 0;
}

/**
 * The newest of `entries` (oldest first) rendered for `m`, as many as fit in one reply beside
 * `reserve` bytes (at most half of --queue-bytes in all), oldest first.
 */
export function newestThatFit(m: ChatMember, entries: readonly HistoryEntry[], reserve: number): Buffer[] {
  return thatFit(m, entries, reserve, (entry) => m.renderer.render({ kind: 'history', entry }), 'newest');
}

/**
 * `entries` (oldest first) as `render` renders them, as many as fit in one reply of `m` beside
 * `reserve` bytes (at most half of --queue-bytes in all), keeping the newest or the oldest of them;
 * oldest first. For a protocol that renders stored lines its own way (a history request's answer
 * is one user's reply, not a broadcast).
 */
export function thatFit(m: ChatMember, entries: readonly HistoryEntry[], reserve: number, render: (entry: HistoryEntry) => Buffer, keep: 'newest' | 'oldest'): Buffer[] {
  const budget = Math.floor(m.ctx.settings.queueBytes / 2);
  const parts: Buffer[] = [];
  const n = entries.length;
  let size = reserve;
  for (let k = 0; k < n; k++) {
    const bytes = render(entries[keep === 'newest' ? n - 1 - k : k]!);
    if (size + bytes.length > budget) break;
    parts.push(bytes);
    size += bytes.length;
  }
  return keep === 'newest' ? parts.reverse() : parts;
}

export type OfflineResult = 'stored' | 'full' | 'no-account' | 'unavailable' | 'failed';

/**
 * Keeps a private message for `to`, who is offline. Only with a durable store (--data-dir, --redis) and only
 * for an account (not a guest). When it cannot be kept the answer is immediate (a string), so the
 * seed's "not online" keeps its place among the sender's lines; otherwise it resolves once committed.
 */
export function keepForLater(m: ChatMember, to: string, raw: string): OfflineResult | Promise<OfflineResult> {
  const { store, accounts } = m.ctx;
  if (!store.durable) return 'unavailable';
  const account = accounts.accountName(to);
  if (account === undefined) return 'no-account';
  return commitForLater(m, account, raw);
}

async function commitForLater(m: ChatMember, to: string, raw: string): Promise<OfflineResult> {
  const { store, log, hub } = m.ctx;
  try {
    const result = await store.storeOffline({ to, from: m.name, text: cleanText(raw), at: hub.now() });
    if (result === 'stored') log.message('OFFLINE', `${m.name} -> ${to}`, { user: m.name, to });
    return result;
  } catch (err: unknown) {
    log.error('STORE', err instanceof Error ? err.message : String(err), { user: m.name, to });
    return 'failed';
  }
}

/** What the sender is told about a private message to someone offline (`to` already cut for echo). */
export function offlineText(result: OfflineResult, to: string): string {
  switch (result) {
    case 'stored':
      return `User ${to} is offline; the message will be delivered when they log in.`;
    case 'full':
      return `User ${to} has too many messages waiting; yours was not stored.`;
    case 'failed':
      return `The message for ${to} could not be stored; it was not delivered.`;
    case 'unavailable':
    case 'no-account':
      return `User ${to} not online.`;
  }
}

/** What the sender of a room line the store could not write is told; `cause` from the store. */
export function unsavedText(cause: string): string {
  return `Your messages are being delivered but not saved to history: the store cannot write (${cause}).`;
}

export const SAVED_AGAIN_TEXT = 'Your messages are being saved to history again.';

/**
 * Tells the senders of room lines the store could not write (disk full, read-only, Redis out of
 * memory): a notice in their own protocol, once per failure streak each, found by name when the
 * batch failed (a member who left since is skipped), and once more when a batch is written again.
 * The lines themselves were delivered live: only history lacks them. Called once, by the server.
 *
 * Bounded: the members told this streak, pruned of those who left at every failed batch.
 */
export function watchSaves(ctx: ChatContext): void {
  const told = new Set<ChatMember>();
  ctx.store.watchSaves({
    unsaved(entries, cause) {
      for (const m of told) if (!m.active) told.delete(m);
      const senders = new Set(entries.map((e) => e.from));
      for (const name of senders) {
        const m = ctx.hub.get(name);
        // A notice that does not fit now (a slow reader) is tried again at the next failed batch.
        if (m !== undefined && !told.has(m) && m.notice(unsavedText(cause))) told.add(m);
      }
    },
    saved() {
      if (told.size === 0) return;
      for (const m of told) if (m.active) m.notice(SAVED_AGAIN_TEXT);
      told.clear();
    },
  });
}

/**
 * Right after a login: the room's last lines (--replay-on-join), then the private messages kept
 * while the user was away, oldest first (each once: taken from the store).
 */
export async function welcomeBack(m: ChatMember, room: string): Promise<void> {
  const { ctx } = m;
  if (ctx.replayOnJoin > 0) await replay(m, room, ctx.replayOnJoin);
  if (!ctx.store.durable || !m.active) return;
  const kept = await ctx.store.takeOffline(m.name);
  // Bounded by --offline-limit: at most that many per user, stored earlier by other users.
  for (const entry of kept) m.outbox.pushControl(m.renderer.render({ kind: 'offline', entry }));
  if (kept.length > 0) ctx.log.event('OFFLINE DELIVERED', `${kept.length} to ${m.name}`, { user: m.name, count: kept.length });
}

/** `2026-11-30 12:03:05`: a stored line's time, in UTC, as every protocol marks it. */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
