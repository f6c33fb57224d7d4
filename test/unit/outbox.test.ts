import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type OutboxEvents, type OutboxLimits, type Sink } from '../../src/core/outbox.js';
import { LatencyHistogram } from '../../src/core/latency.js';
import { TurnFlush } from '../../src/core/turn-flush.js';
import { nextTurn, waitUntil } from '../helpers/wait.js';

// The outbox without sockets: a fake sink that can stop taking bytes, a hand-driven clock, and
// event-loop turns awaited explicitly (flushes are coalesced per turn).

/** A socket stand-in: `kernelFull` makes written bytes stay in user space (writableLength). */
class FakeSink implements Sink {
  readonly chunks: Buffer[] = [];
  writableLength = 0;
  kernelFull = false;
  highWater = 16 * 1024;

  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    if (this.kernelFull) this.writableLength += chunk.length;
    return this.writableLength < this.highWater;
  }

  /** The reader reads again: the kernel takes what was held and everything from now on. */
  resume(): void {
    this.kernelFull = false;
    this.writableLength = 0;
  }

  /** The lines written so far, in order. */
  get lines(): string[] {
    return Buffer.concat(this.chunks).toString().split('\n').filter((l) => l !== '');
  }
}

class Recorder implements OutboxEvents {
  drops = 0;
  overflows = 0;
  caughtUps: number[] = [];
  timeouts = 0;
  dropped(): void {
    this.drops++;
  }
  overflowed(): void {
    this.overflows++;
  }
  caughtUp(_o: Outbox, lost: number): void {
    this.caughtUps.push(lost);
  }
  drainTimedOut(): void {
    this.timeouts++;
  }
}

function limits(over: Partial<OutboxLimits> = {}): OutboxLimits {
  return { queueSize: 10, queueBytes: 64 * 1024, overflow: 'drop-newest', drainTimeoutMs: 0, sendDelayMs: 0, cc: 'none', ...over };
}

const msg = (s: string) => Buffer.from(`${s}\n`);

/** The end-of-turn flush the outboxes of this file share, as the outboxes of one server do. */
const flush = new TurnFlush();

/** A sink that refuses (write returns false) after the first write, as a reader that stopped. */
function stalledSink(): FakeSink {
  const sink = new FakeSink();
  sink.kernelFull = true;
  sink.highWater = 1;
  return sink;
}

for (const [policy, survivors, dropped] of [
  ['drop-newest', ['m1', 'm2', 'm3', 'm4'], 2],
  ['drop-oldest', ['m1', 'm4', 'm5', 'm6'], 2],
] as const) {
  test(`${policy}: which messages survive, the counters, and ONE catch-up notice`, async () => {
    const sink = stalledSink();
    const ev = new Recorder();
    const o = new Outbox(sink, limits({ queueSize: 3, overflow: policy }), ev, { flush });
    o.push(msg('m1'));
    await nextTurn(); // m1 handed over; the sink now pushes back
    assert.equal(o.isBlocked, true);
    for (const m of ['m2', 'm3', 'm4', 'm5', 'm6']) o.push(msg(m));
    assert.equal(o.depth, 3);
    assert.equal(o.dropped, dropped);
    assert.equal(ev.drops, dropped);
    assert.deepEqual(ev.caughtUps, [], 'no notice while still behind');
    sink.resume();
    o.drained();
    assert.deepEqual(sink.lines, survivors);
    assert.deepEqual(ev.caughtUps, [dropped], 'exactly one notice, with the total');
    o.push(msg('m7'));
    await nextTurn();
    assert.deepEqual(ev.caughtUps, [dropped], 'no second notice');
    assert.equal(o.written, 5);
    assert.equal(o.enqueued, policy === 'drop-newest' ? 5 : 7);
  });
}

test('disconnect: the first overflow is reported once as overflowed, and counted as a drop', async () => {
  const sink = stalledSink();
  const ev = new Recorder();
  const o = new Outbox(sink, limits({ queueSize: 2, overflow: 'disconnect' }), ev, { flush });
  o.push(msg('m1'));
  await nextTurn();
  assert.equal(o.push(msg('m2')), true);
  assert.equal(o.push(msg('m3')), true);
  assert.equal(o.push(msg('m4')), false);
  assert.equal(ev.overflows, 1);
  assert.equal(o.dropped, 1);
});

test('a burst of 100 messages in one turn reaches a sink that takes everything, none dropped', async () => {
  for (const cc of ['none', 'aimd'] as const) {
    const sink = new FakeSink();
    const ev = new Recorder();
    const o = new Outbox(sink, limits({ cc }), ev, { flush });
    for (let i = 0; i < 100; i++) assert.equal(o.push(msg(`m${i}`)), true);
    await nextTurn();
    assert.equal(sink.lines.length, 100, cc);
    assert.equal(ev.drops, 0, cc);
    assert.ok(sink.chunks.length <= 11, `coalesced into few writes (${sink.chunks.length})`);
  }
});

test('the message bound and the byte bound (which counts the socket buffer) both hold', async () => {
  // Message bound: small messages, plenty of bytes.
  const sink = stalledSink();
  const o = new Outbox(sink, limits({ queueSize: 5, queueBytes: 1 << 20 }), new Recorder(), { flush });
  o.push(msg('first'));
  await nextTurn();
  for (let i = 0; i < 100; i++) {
    o.push(msg(`m${i}`));
    assert.ok(o.depth <= 5);
  }
  assert.equal(o.depth, 5);

  // Byte bound: 300-byte messages, a socket already holding 500 bytes.
  const big = Buffer.alloc(300, 0x61);
  const sink2 = stalledSink();
  const o2 = new Outbox(sink2, limits({ queueSize: 1000, queueBytes: 2048 }), new Recorder(), { flush });
  o2.push(Buffer.alloc(500, 0x62));
  await nextTurn();
  assert.equal(sink2.writableLength, 500);
  let accepted = 0;
  for (let i = 0; i < 100; i++) {
    if (o2.push(big)) accepted++;
    assert.ok(o2.bytes <= 2048, `bytes ${o2.bytes}`);
  }
  assert.equal(accepted, 5, '500 + 5 x 300 = 2000 <= 2048; a sixth would pass the bound');
  assert.equal(o2.dropped, 95);
});

test('control messages bypass the bounds but keep their place in line', async () => {
  const sink = stalledSink();
  const o = new Outbox(sink, limits({ queueSize: 1 }), new Recorder(), { flush });
  o.push(msg('a'));
  await nextTurn();
  o.push(msg('b'));
  o.pushControl(msg('[SERVER] c'));
  o.pushControl(msg('[SERVER] d'));
  assert.equal(o.depth, 3);
  sink.resume();
  o.drained();
  assert.deepEqual(sink.lines, ['a', 'b', '[SERVER] c', '[SERVER] d']);
});

test('send delay: each message waits the delay after it was queued and after the previous one (injected clock)', async () => {
  let now = 1000;
  const sink = new FakeSink();
  const o = new Outbox(sink, limits({ sendDelayMs: 100 }), new Recorder(), { flush, clock: () => now });
  o.push(msg('m1'));
  o.push(msg('m2'));
  await nextTurn();
  assert.deepEqual(sink.lines, [], 'the head of an idle queue waits a full delay');
  now = 1099;
  o.flush();
  assert.deepEqual(sink.lines, []);
  now = 1100;
  o.flush();
  assert.deepEqual(sink.lines, ['m1']);
  now = 1150;
  o.flush();
  assert.deepEqual(sink.lines, ['m1'], 'the next one waits a delay after the previous send');
  now = 1200;
  o.flush();
  assert.deepEqual(sink.lines, ['m1', 'm2']);
  o.delayMs = 0;
  o.push(msg('m3'));
  await nextTurn();
  assert.deepEqual(sink.lines, ['m1', 'm2', 'm3'], 'delay 0: straight through');
  o.close();
});

test('send delay: the queue fills at the delayed rate and the policy drops, only for that outbox', async () => {
  let now = 0;
  const slowSink = new FakeSink();
  const fastSink = new FakeSink();
  const slow = new Outbox(slowSink, limits({ queueSize: 3 }), new Recorder(), { flush, clock: () => now });
  const fast = new Outbox(fastSink, limits({ queueSize: 3 }), new Recorder(), { flush, clock: () => now });
  slow.delayMs = 200;
  for (let i = 0; i < 10; i++) {
    slow.push(msg(`m${i}`));
    fast.push(msg(`m${i}`));
    await nextTurn();
    now += 50;
  }
  assert.equal(fast.dropped, 0);
  assert.equal(fastSink.lines.length, 10);
  assert.ok(slow.dropped > 0);
  assert.equal(slow.written + slow.depth + slow.dropped, 10);
  slow.close();
});

test('totals: messages written and one latency sample per write', async () => {
  let now = 0;
  const totals = { written: 0, latency: new LatencyHistogram() };
  const sink = new FakeSink();
  const o = new Outbox(sink, limits({ sendDelayMs: 10 }), new Recorder(), { flush, clock: () => now, totals });
  o.push(msg('a'));
  o.push(msg('b'));
  await nextTurn();
  now = 10;
  o.flush();
  now = 20;
  o.flush();
  assert.equal(totals.written, 2);
  assert.equal(totals.latency.count, 2);
  assert.equal(totals.latency.sumMs, 10 + 20, 'both entered at 0; sent at 10 and 20');
  assert.equal(o.peakLatencyMs, 20);
  o.close();
});

test('drain timeout: a sink that never drains is reported once; one that drains is not', async () => {
  const ev = new Recorder();
  const o = new Outbox(stalledSink(), limits({ drainTimeoutMs: 20 }), ev, { flush });
  o.push(msg('a'));
  await nextTurn();
  const healthy = new Recorder();
  const sink = stalledSink();
  const o2 = new Outbox(sink, limits({ drainTimeoutMs: 20 }), healthy, { flush });
  o2.push(msg('a'));
  await nextTurn();
  sink.resume();
  o2.drained();
  await waitUntil(() => ev.timeouts > 0, () => 'the drain timeout never fired', { everyMs: 10 });
  assert.equal(ev.timeouts, 1);
  assert.equal(healthy.timeouts, 0);
  o.close();
  o2.close();
});

test('drain timeout also catches a reader frozen behind the congestion window (no write ever returned false)', async () => {
  const ev = new Recorder();
  const sink = new FakeSink();
  sink.kernelFull = true; // bytes stay in user space, but far below the high-water mark
  const o = new Outbox(sink, limits({ cc: 'aimd', cwndInitial: 2, drainTimeoutMs: 20 }), ev, { flush });
  for (let i = 0; i < 5; i++) o.push(msg(`m${i}`));
  await nextTurn();
  assert.equal(o.inFlight, 2);
  assert.equal(o.isBlocked, false);
  await waitUntil(() => ev.timeouts > 0, () => 'the drain timeout never fired', { everyMs: 10 });
  assert.equal(ev.timeouts, 1);
  o.close();
});

test('a closed outbox takes nothing and writes nothing', async () => {
  const sink = new FakeSink();
  const o = new Outbox(sink, limits(), new Recorder(), { flush });
  o.push(msg('a'));
  o.close();
  assert.equal(o.push(msg('b')), false);
  await nextTurn();
  assert.deepEqual(sink.chunks, []);
});

test('finish() hands everything over at once, ignoring the delay', async () => {
  const sink = new FakeSink();
  const o = new Outbox(sink, limits({ sendDelayMs: 10_000 }), new Recorder(), { flush });
  o.push(msg('a'));
  o.pushControl(msg('[SERVER] bye'));
  o.finish();
  assert.deepEqual(sink.lines, ['a', '[SERVER] bye']);
  o.close();
});
