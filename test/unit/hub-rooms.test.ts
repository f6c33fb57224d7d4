import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, type Member } from '../../src/core/hub.js';
import type { Outbox } from '../../src/core/outbox.js';
import { textRenderer } from '../../src/protocols/text/render.js';

/** A member whose outbox records every chunk the hub pushes, as the bytes a socket would carry. */
function member(name: string): Member & { chunks: string[] } {
  const chunks: string[] = [];
  const outbox = { push: (b: Buffer) => (chunks.push(b.toString()), true) } as unknown as Outbox;
  return { name, renderer: textRenderer, outbox, rooms: new Set(), chunks };
}

const lines = (m: { chunks: string[] }) => m.chunks.join('').split('\n').filter((l) => l !== '');

function login(hub: Hub, m: Member): void {
  hub.add(m);
  hub.join(m, hub.defaultRoom, 'login');
}

test('--announce-limit with a batch open: a member arriving over the limit sees no notice from before they came', () => {
  const hub = new Hub({ noticeDelayMs: 1000, announceLimit: 2 });
  const [a, b, c] = [member('a'), member('b'), member('c')];
  for (const m of [a, b, c]) login(hub, m);
  hub.flushNotices();
  assert.deepEqual(lines(a), ['b joined the chat.']);
  assert.deepEqual(lines(b), []);
  assert.deepEqual(lines(c), [], 'c arrived after a and b');
});

test('several rooms: one copy of a room message, one leave per neighbour, the rooms left empty disappear', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const [a, b, c] = [member('a'), member('b'), member('c')];
  for (const m of [a, b, c]) login(hub, m);
  for (const m of [a, b]) assert.equal(hub.join(m, 'dev'), 'joined');
  assert.equal(hub.join(a, 'dev'), 'already-in');
  assert.deepEqual([...a.rooms], ['lobby', 'dev']);
  a.chunks.length = b.chunks.length = c.chunks.length = 0;
  assert.ok(hub.say(a, 'dev', 'hi dev'));
  assert.equal(hub.say(c, 'dev', 'not a member'), undefined);
  assert.deepEqual([lines(b), lines(c)], [['a: hi dev'], []]);
  hub.remove(a);
  assert.deepEqual(lines(b), ['a: hi dev', 'a left the chat.'], 'b shares two rooms with a: one leave');
  assert.deepEqual(lines(c), ['a left the chat.']);
  assert.equal(hub.part(b, 'dev'), true);
  assert.equal(hub.part(b, 'dev'), false);
  assert.deepEqual(hub.roomList(), [{ room: 'lobby', count: 2 }]);
});

test('a member may be in at most maxRoomsPerMember rooms, and at most maxRooms rooms exist', () => {
  const hub = new Hub({ noticeDelayMs: 0, maxRoomsPerMember: 2, maxRooms: 3 });
  const [a, b] = [member('a'), member('b')];
  login(hub, a);
  login(hub, b);
  assert.equal(hub.join(a, 'r1'), 'joined');
  assert.equal(hub.join(a, 'r2'), 'too-many-joined');
  assert.equal(hub.join(b, 'r2'), 'joined');
  assert.equal(hub.join(b, 'r3'), 'too-many-joined');
  assert.equal(hub.move(b, 'r3'), 'too-many-rooms', 'lobby, r1 and r2 exist');
  assert.deepEqual([...b.rooms], ['lobby', 'r2'], 'a refused move changes nothing');
  assert.equal(hub.move(b, 'r1'), 'moved');
  assert.deepEqual([...b.rooms], ['r1']);
});

test('events are stamped once where they are made: increasing ids, the injected time, the origin', () => {
  let now = 1_000;
  const hub = new Hub({ noticeDelayMs: 0, now: () => now, origin: 'node-a' });
  const [a, b] = [member('a'), member('b')];
  login(hub, a);
  login(hub, b);
  const first = hub.say(a, 'lobby', 'one');
  now = 2_000;
  const second = hub.whisper(a, 'b', 'two');
  assert.ok(first && 'stamp' in first && second && 'stamp' in second);
  assert.equal(first.stamp.origin, 'node-a');
  assert.equal(first.stamp.at, 1_000);
  assert.equal(second.stamp.at, 2_000);
  assert.equal(second.stamp.id, first.stamp.id + 1);
});

test('topics: set and cleared by members, told to the whole room, gone with the room', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const [a, b] = [member('a'), member('b')];
  login(hub, a);
  login(hub, b);
  assert.ok(hub.setTopic(a, 'lobby', 'release on friday'));
  assert.equal(hub.topic('lobby')?.text, 'release on friday');
  assert.deepEqual(lines(a).at(-1), '[TOPIC] a set the topic of lobby: release on friday');
  assert.deepEqual(lines(b).at(-1), '[TOPIC] a set the topic of lobby: release on friday');
  assert.equal(hub.setTopic(a, 'dev', 'x'), undefined, 'not a member of dev');
  hub.setTopic(b, 'lobby', '');
  assert.equal(hub.topic('lobby'), undefined);
  hub.setTopic(b, 'lobby', 'again');
  hub.remove(a);
  hub.remove(b);
  assert.equal(hub.topic('lobby'), undefined, 'the room is gone, and its topic with it');
});

test('whoFirst: the first names in order, however the members arrived, and the total', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const names = ['m', 'c', 'x', 'a', 'q', 'b', 'z', 'k'];
  for (const n of names) login(hub, member(n));
  const first = hub.whoFirst(3);
  assert.deepEqual(first.users.map((u) => u.name), ['a', 'b', 'c']);
  assert.equal(first.total, 8);
  assert.deepEqual(first.users[0]!.rooms, ['lobby']);
  assert.deepEqual(hub.whoFirst(100).users.map((u) => u.name), [...names].sort());
});

test('names and rooms are case-insensitive (ASCII): lookups by any case, shown as logged in and as first spelt', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const [a, b] = [member('Alice'), member('bob')];
  for (const m of [a, b]) login(hub, m);
  assert.equal(hub.add(member('alice')), false, 'alice is Alice');
  assert.equal(hub.get('ALICE'), a);
  assert.equal(hub.get('\u212Aob'), undefined, 'the Kelvin sign is not a k');
  assert.equal(hub.join(a, 'Dev'), 'joined');
  assert.equal(hub.join(b, 'dEV'), 'joined');
  assert.deepEqual([...b.rooms], ['lobby', 'Dev'], 'the first spelling');
  assert.equal(hub.join(b, 'DEV'), 'already-in');
  b.chunks.length = 0;
  assert.ok(hub.say(a, 'dev', 'hi'));
  assert.ok(hub.whisper(a, 'BOB', 'psst'));
  assert.ok(hub.setTopic(b, 'DEV', 'news'));
  assert.equal(hub.topic('dev')?.text, 'news');
  assert.deepEqual(lines(b), ['Alice: hi', '[PRIVATE] Alice: psst', '[TOPIC] bob set the topic of Dev: news']);
  assert.deepEqual(hub.roomList().map((r) => r.room), ['Dev', 'lobby']);
  assert.equal(hub.part(a, 'DEV'), true);
  assert.equal(hub.part(b, 'dev'), true);
  // The room is gone: its next first spelling is the new one.
  hub.join(b, 'DEV');
  assert.deepEqual([...b.rooms], ['lobby', 'DEV']);
  hub.remove(a);
  assert.equal(hub.get('alice'), undefined);
});

test('away: one event per neighbour however many rooms they share; an empty render (the text protocol) queues nothing', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const [a, b, c, loner] = [member('a'), member('b'), member('c'), member('loner')];
  for (const m of [a, b, c]) login(hub, m);
  hub.add(loner);
  for (const m of [a, b]) hub.join(m, 'dev');
  const seen: string[] = [];
  const json = { id: 'json', render: (e: Parameters<typeof textRenderer.render>[0]) => Buffer.from(e.kind === 'away' ? `${e.user}:${e.text};` : '') };
  const b2 = { ...b, renderer: json, outbox: { push: (x: Buffer) => (seen.push(x.toString()), true) } as unknown as Outbox };
  // b as seen through a JSON-like renderer: swap it into the rooms by re-adding.
  hub.remove(b, false);
  hub.add(b2);
  hub.join(b2, 'lobby');
  hub.join(b2, 'dev');
  for (const m of [a, c]) m.chunks.length = 0;
  const before = hub.deliveries;
  const event = hub.away(a, 'lunch');
  assert.equal(event.kind, 'away');
  assert.deepEqual(seen, ['a:lunch;'], 'one event for two shared rooms');
  assert.deepEqual([a.chunks, c.chunks, loner.chunks], [[], [], []], 'text members get nothing queued, not even an empty chunk');
  assert.equal(hub.deliveries - before, 1);
});
