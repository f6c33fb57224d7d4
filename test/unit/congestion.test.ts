import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aimd, NO_WINDOW } from '../../src/core/congestion.js';
import { Outbox, type OutboxEvents, type Sink } from '../../src/core/outbox.js';
import { nextTurn } from '../helpers/wait.js';
import { TurnFlush } from '../../src/core/turn-flush.js';

test('AIMD slow start: +1 per acknowledged message (the window doubles per round) up to the ceiling', () => {
  const w = new Aimd({ cwndInitial: 4, cwndMin: 1, cwndMax: 20 });
  assert.equal(w.slowStart, true);
  w.acked(4, true);
  assert.equal(w.window, 8, 'a full round doubles');
  w.acked(3, true);
  assert.equal(w.window, 11);
  w.acked(100, true);
  assert.equal(w.window, 20, 'the ceiling');
  w.acked(1000, true);
  assert.equal(w.window, 20);
});

test('AIMD congestion avoidance: after a decrease, +1 per full window acknowledged, acks carry over, capped', () => {
  const w = new Aimd({ cwndInitial: 8, cwndMin: 1, cwndMax: 10 });
  w.congested();
  assert.equal(w.window, 4);
  assert.equal(w.slowStart, false, 'the halved window is the threshold');
  w.acked(3, true);
  assert.equal(w.window, 4, 'less than a window: no change');
  w.acked(1, true);
  assert.equal(w.window, 5, 'a full window (3 + 1 carried over)');
  w.acked(11, true); // 5 -> 6 takes 5, 6 -> 7 takes 6
  assert.equal(w.window, 7);
  w.acked(1000, true);
  assert.equal(w.window, 10, 'the ceiling');
});

test('AIMD: a round in which the window was not full ends recovery but does not grow the window', () => {
  const w = new Aimd({ cwndInitial: 4, cwndMin: 1, cwndMax: 64 });
  w.acked(1000, false);
  assert.equal(w.window, 4, 'a reader that never fills its window keeps the start value');
  w.congested();
  assert.equal(w.window, 2);
  w.acked(1, false);
  w.congested();
  assert.equal(w.window, 1, 'the ack ended the round, so the next signal halves again');
});

test('AIMD: halve on congestion, once per round (until the next ack), never below the floor', () => {
  const w = new Aimd({ cwndInitial: 16, cwndMin: 3, cwndMax: 64 });
  w.congested();
  assert.equal(w.window, 8);
  w.congested();
  w.congested();
  assert.equal(w.window, 8, 'the same round: one decrease');
  w.acked(1, true);
  w.congested();
  assert.equal(w.window, 4);
  w.acked(1, true);
  w.congested();
  assert.equal(w.window, 3, 'floor');
  w.acked(1, true);
  w.congested();
  assert.equal(w.window, 3);
  assert.equal(w.decreases, 3);
});

test('AIMD: a decrease forgets the credit of the round', () => {
  const w = new Aimd({ cwndInitial: 10, cwndMin: 1, cwndMax: 64 });
  w.congested(); // 5, additive from here
  w.acked(4, true); // credit 4 of 5
  w.congested(); // 2, credit 0
  w.acked(1, true);
  assert.equal(w.window, 2);
  w.acked(1, true);
  assert.equal(w.window, 3);
});

test('AIMD rejects inconsistent bounds; --cc none has no window', () => {
  assert.throws(() => new Aimd({ cwndInitial: 2, cwndMin: 4, cwndMax: 8 }), RangeError);
  assert.throws(() => new Aimd({ cwndInitial: 0, cwndMin: 0, cwndMax: 8 }), RangeError);
  assert.equal(NO_WINDOW.window, Infinity);
});

/** A socket whose kernel takes nothing until told (take()), with a settable high-water mark. */
class HoldingSink implements Sink {
  writableLength = 0;
  highWater = 1 << 20;
  lines = 0;
  write(chunk: Buffer): boolean {
    this.lines += chunk.toString().split('\n').length - 1;
    this.writableLength += chunk.length;
    return this.writableLength < this.highWater;
  }
  take(): void {
    this.writableLength = 0;
  }
}

const quiet: OutboxEvents = { dropped() {}, overflowed() {}, caughtUp() {}, drainTimedOut() {} };
const msg = (i: number) => Buffer.from(`m${i}\n`);

test('the outbox window: hands over at most cwnd unacknowledged messages and moves as AIMD says (injected clock)', async () => {
  let now = 0;
  const sink = new HoldingSink();
  const o = new Outbox(sink, { queueSize: 50, queueBytes: 1 << 20, overflow: 'drop-newest', drainTimeoutMs: 0, sendDelayMs: 0, cc: 'aimd', cwndInitial: 4, cwndMin: 1, cwndMax: 6 }, quiet, {
    flush: new TurnFlush(),
    clock: () => now,
  });
  for (let i = 0; i < 10; i++) o.push(msg(i));
  await nextTurn();
  assert.deepEqual([sink.lines, o.inFlight, o.depth, o.window], [4, 4, 6, 4], 'one window handed over, the rest waits');
  now += 5;
  o.flush();
  assert.equal(sink.lines, 4, 'no ack yet: nothing more');
  sink.take();
  o.flush();
  assert.deepEqual([sink.lines, o.inFlight, o.window], [10, 6, 6], 'ack of a full window in slow start: +1 per message (to the ceiling), and the rest goes');
  sink.take();
  o.flush();
  assert.deepEqual([sink.lines, o.inFlight, o.window], [10, 0, 6]);
  // Backpressure: the next write returns false -> halve.
  sink.highWater = 1;
  o.push(msg(10));
  sink.take();
  await nextTurn();
  assert.equal(o.isBlocked, true);
  assert.equal(o.window, 3);
  // A drop in the same round does not halve again.
  for (let i = 11; i < 70; i++) o.push(msg(i));
  assert.ok(o.dropped > 0);
  assert.equal(o.window, 3);
  // The socket drains (an ack); the next congestion signal halves again, down to the floor.
  sink.highWater = 1 << 20;
  sink.take();
  o.drained();
  o.push(msg(99)); // dropped or queued: either way a new round has started
  for (let i = 0; i < 60; i++) o.push(msg(i));
  assert.equal(o.window, 1);
  o.close();
});

test('a healthy reader (kernel takes every write) is never limited by the window', async () => {
  const sink = new HoldingSink();
  const o = new Outbox(sink, { queueSize: 10, queueBytes: 1 << 20, overflow: 'drop-newest', drainTimeoutMs: 0, sendDelayMs: 0, cc: 'aimd', cwndInitial: 2, cwndMin: 1, cwndMax: 4 }, quiet, { flush: new TurnFlush() });
  const realWrite = sink.write.bind(sink);
  sink.write = (chunk: Buffer) => {
    const ok = realWrite(chunk);
    sink.take(); // synchronous write into the kernel, as on a reading loopback socket
    return ok;
  };
  for (let i = 0; i < 100; i++) assert.equal(o.push(msg(i)), true);
  await nextTurn();
  assert.equal(sink.lines, 100);
  assert.equal(o.dropped, 0);
  o.close();
});
