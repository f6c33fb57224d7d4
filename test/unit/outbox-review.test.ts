import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type OutboxEvents, type OutboxLimits } from '../../src/core/outbox.js';
import { TurnFlush } from '../../src/core/turn-flush.js';

// Regressions from the outbox review: lowering the send delay, fan-out past --queue-size within
// one turn, and command replies (bounded like chat, exempt from the delay, in order). A hand-driven
// clock and explicit event-loop turns, as in outbox.test.ts.

/** The end-of-turn flush the outboxes of this file share, as the outboxes of one server do. */
const flush = new TurnFlush();

/**
 * An outbox on a fake socket, a hand-driven clock and recorded events. While `sink.stopped`,
 * written bytes stay in user space and write() pushes back. `at(ms)` moves the clock, flushes, and
 * returns every line written so far; `readAll()` has the reader take everything and go on reading
 * (the socket drains), and returns the same.
 */
function setup(over: Partial<OutboxLimits> = {}) {
  const clock = { now: 1000 };
  const writes: Buffer[] = [];
  const sink = {
    writes,
    writableLength: 0,
    stopped: false,
    write(chunk: Buffer): boolean {
      writes.push(chunk);
      if (sink.stopped) sink.writableLength += chunk.length;
      return !sink.stopped;
    },
    get lines(): string[] {
      return Buffer.concat(writes).toString().split('\n').filter((l) => l !== '');
    },
  };
  // Chat drops (events.dropped) and the catch-up notices' totals, kept apart.
  const events = { chatDrops: 0, notices: [] as number[] };
  const handlers: OutboxEvents = {
    dropped: () => void events.chatDrops++,
    overflowed: () => undefined,
    caughtUp: (_o, lost) => void events.notices.push(lost),
    drainTimedOut: () => undefined,
  };
  const limits: OutboxLimits = { queueSize: 10, queueBytes: 64 * 1024, overflow: 'drop-newest', drainTimeoutMs: 0, sendDelayMs: 0, cc: 'none', ...over };
  const outbox = new Outbox(sink, limits, handlers, { flush, clock: () => clock.now });
  const at = (ms: number): string[] => {
    clock.now = ms;
    outbox.flush();
    return sink.lines;
  };
  const readAll = (): string[] => {
    sink.stopped = false;
    sink.writableLength = 0;
    outbox.drained();
    return sink.lines;
  };
  return { sink, events, outbox, at, readAll };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const line = (s: string) => Buffer.from(`${s}\n`);

/** An outbox whose reader has stopped: 'first' (6 bytes) was handed over and the sink pushes back. */
async function stalled(over: Partial<OutboxLimits> = {}) {
  const s = setup(over);
  s.sink.stopped = true;
  s.outbox.push(line('first'));
  await turn();
  assert.equal(s.outbox.isBlocked, true);
  return s;
}

test('/slow lowered: the new delay counts from the last send, not from the old deadline', async () => {
  const { sink, outbox, at } = setup();
  outbox.push(line('m1'));
  await turn();
  assert.deepEqual(sink.lines, ['m1'], 'sent at 1000');
  outbox.delayMs = 60_000;
  outbox.push(line('m2'));
  await turn();
  outbox.delayMs = 100;
  assert.deepEqual(at(1050), ['m1'], 'last send 1000 + 100: not yet at 1050');
  assert.deepEqual(at(1100), ['m1', 'm2'], 'due at 1100, not at 61000');
  outbox.close();
});

for (const off of [0, 5]) {
  test(`/slow ${off} after /slow 60000: queued lines go within the new delay of the last send`, async () => {
    const { outbox, at } = setup({ sendDelayMs: 60_000 });
    outbox.push(line('m1'));
    await turn();
    assert.deepEqual(at(61_000), ['m1']);
    outbox.push(line('m2'));
    outbox.push(line('m3'));
    await turn();
    outbox.delayMs = off;
    assert.deepEqual(at(61_010), off === 0 ? ['m1', 'm2', 'm3'] : ['m1', 'm2']);
    outbox.close();
  });
}

test('lowering the delay before any send: the queued line may go now, the next waits the delay', async () => {
  const { outbox, at } = setup();
  outbox.delayMs = 500;
  outbox.push(line('m1'));
  await turn();
  assert.deepEqual(at(1000), [], 'the head of an idle queue waits a full delay');
  outbox.delayMs = 200;
  assert.deepEqual(at(1000), ['m1'], 'no send yet: the lowered delay lets it go at once');
  outbox.push(line('m2'));
  await turn();
  assert.deepEqual(at(1199), ['m1']);
  assert.deepEqual(at(1200), ['m1', 'm2']);
  outbox.close();
});

test('fan-out past --queue-size in one turn: the recipient is flushed once at the end of the turn', async () => {
  // The reader takes everything; the queue fills within the turn, so push() sends early.
  const a = setup();
  const b = setup();
  const flushes = new Map<Outbox, number>();
  for (const o of [a.outbox, b.outbox]) {
    const flush = o.flush.bind(o);
    o.flush = (now?: number) => {
      flushes.set(o, (flushes.get(o) ?? 0) + 1);
      flush(now);
    };
  }
  for (let i = 0; i < 35; i++) {
    assert.equal(a.outbox.push(line(`m${i}`)), true);
    assert.equal(b.outbox.push(line(`m${i}`)), true);
  }
  await turn();
  assert.equal(a.sink.lines.length, 35);
  assert.deepEqual([...flushes.values()], [1, 1], 'each outbox once in the turn\'s flush list');
  a.outbox.push(line('next'));
  await turn();
  assert.equal(flushes.get(a.outbox), 2, 'and scheduled again in the next turn');
  assert.deepEqual(a.sink.lines.slice(-1), ['next']);
});

test('recipients of the same broadcast share one joined chunk; different queues are not mixed up', async () => {
  const shared = [line('x1'), line('x2'), line('x3')];
  const r = [setup(), setup(), setup(), setup()];
  for (const m of shared) for (const s of r.slice(0, 3)) s.outbox.push(m);
  r[2]!.outbox.push(line('own'));
  for (const m of ['y1', 'y2', 'y3']) r[3]!.outbox.push(line(m)); // equal sizes, other buffers
  await turn();
  assert.equal(r[0]!.sink.writes.length, 1);
  assert.equal(r[0]!.sink.writes[0], r[1]!.sink.writes[0], 'the very same Buffer');
  assert.deepEqual(r[1]!.sink.lines, ['x1', 'x2', 'x3']);
  assert.deepEqual(r[2]!.sink.lines, ['x1', 'x2', 'x3', 'own']);
  assert.deepEqual(r[3]!.sink.lines, ['y1', 'y2', 'y3']);
});

test('reply(): refused when the message bound is reached, and nothing queued', async () => {
  const { outbox, events } = await stalled({ queueSize: 3 });
  for (const m of ['a', 'b']) assert.equal(outbox.push(line(m)), true);
  assert.equal(outbox.reply(line('[SERVER] r1')), true);
  assert.equal(outbox.reply(line('[SERVER] r2')), false);
  assert.equal(outbox.push(line('c')), false);
  assert.equal(outbox.depth, 3);
  assert.equal(outbox.dropped, 1, 'the refused reply is not a chat drop');
  assert.equal(events.chatDrops, 1);
  outbox.close();
});

test('reply(): refused when the byte bound (socket buffer included) is reached', async () => {
  const { outbox, sink } = await stalled({ queueBytes: 1000 });
  assert.equal(sink.writableLength, 6, "'first' is held by the socket");
  assert.equal(outbox.push(Buffer.alloc(594, 0x61)), true);
  assert.equal(outbox.reply(Buffer.alloc(300, 0x62)), true, '600 + 300 <= 1000');
  assert.equal(outbox.reply(Buffer.alloc(101, 0x63)), false, '600 + 300 + 101 > 1000');
  assert.equal(outbox.reply(Buffer.alloc(100, 0x64)), true, 'exactly at the bound');
  assert.equal(outbox.bytes, 1000);
  outbox.close();
});

test('reply(): not held by the send delay, and does not push the next chat line back', async () => {
  const { outbox, at } = setup({ sendDelayMs: 60_000 });
  outbox.reply(line('[SERVER] r1'));
  await turn();
  assert.deepEqual(at(1000), ['[SERVER] r1'], 'at once, with a 60 s delay');
  outbox.push(line('m1'));
  outbox.reply(line('[SERVER] r2'));
  await turn();
  assert.deepEqual(at(1000), ['[SERVER] r1'], 'chat waits its delay, and r2 waits behind it: order is kept');
  assert.deepEqual(at(61_000), ['[SERVER] r1', 'm1', '[SERVER] r2'], 'r2 follows m1 without a further delay');
  outbox.push(line('m2'));
  outbox.reply(line('[SERVER] r3'));
  await turn();
  assert.equal(at(120_999).length, 3, 'r2 did not move the deadline: m2 is due 60 s after m1');
  assert.deepEqual(at(121_000).slice(3), ['m2', '[SERVER] r3']);
  outbox.close();
});

test('reply(): FIFO behind chat queued while the reader is stalled', async () => {
  const { outbox, readAll } = await stalled();
  outbox.push(line('a'));
  outbox.reply(line('[SERVER] r'));
  outbox.push(line('b'));
  assert.deepEqual(readAll(), ['first', 'a', '[SERVER] r', 'b']);
  outbox.close();
});

test('refused replies count in the one catch-up notice, together with chat drops', async () => {
  const { outbox, events, readAll } = await stalled({ queueSize: 2 });
  outbox.push(line('a'));
  outbox.push(line('b'));
  outbox.push(line('c'));
  for (let i = 0; i < 3; i++) assert.equal(outbox.reply(line('[SERVER] who')), false);
  assert.deepEqual(events.notices, [], 'not while still behind');
  assert.equal(readAll().length, 3);
  assert.deepEqual(events.notices, [4], '1 chat drop + 3 refused replies');
  assert.equal(events.chatDrops, 1);
  assert.equal(outbox.dropped, 1);
  outbox.close();
});

test('drop-oldest may evict a queued reply: a lost line for the notice, not a chat drop', async () => {
  const { outbox, events, readAll } = await stalled({ queueSize: 2, overflow: 'drop-oldest' });
  outbox.reply(line('[SERVER] r'));
  outbox.push(line('a'));
  outbox.push(line('b'));
  assert.equal(outbox.dropped, 0);
  assert.deepEqual(readAll(), ['first', 'a', 'b']);
  assert.deepEqual(events.notices, [1]);
  outbox.close();
});
