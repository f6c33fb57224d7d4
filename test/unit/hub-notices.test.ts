import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, type Member } from '../../src/core/hub.js';
import type { Outbox } from '../../src/core/outbox.js';
import { textRenderer } from '../../src/protocols/text/render.js';
import { waitUntil } from '../helpers/wait.js';

/** A member whose outbox records every chunk the hub pushes, as the bytes a socket would carry. */
function member(name: string): Member & { chunks: string[] } {
  const chunks: string[] = [];
  const outbox = { push: (b: Buffer) => (chunks.push(b.toString()), true) } as unknown as Outbox;
  return { name, renderer: textRenderer, outbox, rooms: new Set(), chunks };
}

/** A login as the core does it: presence, then the default room. */
function login(hub: Hub, m: Member): void {
  hub.add(m);
  hub.join(m, hub.defaultRoom, 'login');
}

const lines = (m: { chunks: string[] }) => m.chunks.join('').split('\n').filter((l) => l !== '');

test('a crowd arriving: each member gets the held notices as ONE chunk, only those after their own arrival', () => {
  const hub = new Hub({ noticeDelayMs: 1000 });
  const first = member('first');
  login(hub, first);
  hub.flushNotices();
  const crowd = Array.from({ length: 5 }, (_, i) => member(`u${i}`));
  for (const m of crowd) login(hub, m);
  assert.deepEqual(first.chunks, [], 'held, not sent yet');
  hub.flushNotices();
  assert.equal(first.chunks.length, 1, 'one chunk for five notices');
  assert.deepEqual(lines(first), crowd.map((m) => `${m.name} joined the chat.`));
  // u2 arrived third: it sees u3 and u4, never itself or those who came before it.
  assert.deepEqual(lines(crowd[2]!), ['u3 joined the chat.', 'u4 joined the chat.']);
  assert.deepEqual(crowd[4]!.chunks, [], 'the last to arrive gets nothing');
  // Deliveries count notices, not chunks: 5 to first, then 4, 3, 2, 1, 0 to the crowd.
  assert.equal(hub.deliveries, 5 + 4 + 3 + 2 + 1);
});

test('held notices never overtake: a message, a private message and a move send them first', () => {
  const hub = new Hub({ noticeDelayMs: 1000 });
  const [a, b, c] = [member('a'), member('b'), member('c')];
  login(hub, a);
  login(hub, b);
  hub.say(b, 'lobby', 'hi');
  assert.deepEqual(lines(a), ['b joined the chat.', 'b: hi']);
  login(hub, c);
  hub.whisper(b, 'a', 'psst');
  assert.deepEqual(lines(a).slice(2), ['c joined the chat.', '[PRIVATE] b: psst']);
  hub.remove(c);
  hub.move(a, 'dev');
  assert.deepEqual(lines(a).slice(4), ['c left the chat.'], 'the mover gets the old room\'s notices before leaving it');
  hub.flushNotices();
  assert.deepEqual(lines(b).slice(-2), ['c left the chat.', 'a left room lobby.']);
  assert.deepEqual(lines(a).slice(5), [], 'nothing more for a in dev');
});

test('the timer sends held notices by itself', async () => {
  const hub = new Hub({ noticeDelayMs: 5 });
  const [a, b] = [member('a'), member('b')];
  login(hub, a);
  login(hub, b);
  await waitUntil(() => a.chunks.length > 0, () => 'the held notice was never sent');
  assert.deepEqual(lines(a), ['b joined the chat.']);
});

test('--notice-delay 0 sends every notice at once, as the seed does', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const [a, b] = [member('a'), member('b')];
  login(hub, a);
  login(hub, b);
  hub.remove(b);
  assert.deepEqual(a.chunks, ['b joined the chat.\n', 'b left the chat.\n']);
});

test('rooms over --announce-limit stay quiet, batched or not', () => {
  const hub = new Hub({ noticeDelayMs: 1000, announceLimit: 2 });
  const ms = Array.from({ length: 4 }, (_, i) => member(`m${i}`));
  for (const m of ms) login(hub, m);
  hub.flushNotices();
  assert.deepEqual(lines(ms[0]!), ['m1 joined the chat.']);
});
