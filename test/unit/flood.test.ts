import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../src/core/token-bucket.js';
import { FloodControl } from '../../src/core/flood.js';
import { PacedSink } from '../../src/core/paced-sink.js';
import type { Sink } from '../../src/core/sink.js';

test('token bucket: burst, then the rate; waitMs says when; capacity caps idle credit', () => {
  const b = new TokenBucket(10, 3, 0);
  assert.equal(b.take(1, 0), true);
  assert.equal(b.take(2, 0), true);
  assert.equal(b.take(1, 0), false);
  assert.equal(b.waitMs(1, 0), 100);
  assert.equal(b.take(1, 50), false);
  assert.equal(b.take(1, 100), true);
  assert.equal(b.available(100_000), 3, 'never more than the capacity');
  assert.equal(b.takeUpTo(10, 100_000), 3);
  b.reconfigure(0, 3, 100_000);
  assert.equal(b.waitMs(1, 100_000), Infinity);
});

test('flood control, delay policy: a burst passes, then each line waits for its token', () => {
  let now = 0;
  const f = new FloodControl({ floodRate: 2, floodBurst: 3, floodPolicy: 'delay' }, () => now);
  for (let i = 0; i < 3; i++) assert.deepEqual(f.check(), { kind: 'go' });
  assert.deepEqual(f.check(), { kind: 'wait', waitMs: 500 });
  now = 250;
  assert.deepEqual(f.check(), { kind: 'wait', waitMs: 250 });
  now = 500;
  assert.deepEqual(f.check(), { kind: 'go' });
  assert.equal(f.delayed, 1, "one line, held twice");
  assert.equal(f.refused, 0);
});

test('flood control, reject policy: refuses over the rate and marks only the first refusal of a run', () => {
  let now = 0;
  const f = new FloodControl({ floodRate: 1, floodBurst: 1, floodPolicy: 'reject' }, () => now);
  assert.deepEqual(f.check(), { kind: 'go' });
  assert.deepEqual(f.check(), { kind: 'refuse', first: true });
  assert.deepEqual(f.check(), { kind: 'refuse', first: false });
  now = 1000;
  assert.deepEqual(f.check(), { kind: 'go' });
  assert.deepEqual(f.check(), { kind: 'refuse', first: true }, 'a new run after a line got through');
  assert.equal(f.refused, 3);
});

test('the default limits let a fast typist (a line every 200 ms, bursts of 20) through untouched', () => {
  let now = 0;
  const f = new FloodControl({ floodRate: 10, floodBurst: 20, floodPolicy: 'reject' }, () => now);
  for (let i = 0; i < 20; i++) assert.equal(f.check().kind, 'go');
  for (let i = 0; i < 300; i++) {
    now += 200;
    assert.equal(f.check().kind, 'go');
  }
});

class CountingSink implements Sink {
  readonly writableLength = 0;
  bytes = 0;
  write(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }
}

test('simulated link: bytes leave at the link rate, it pushes back like a socket, and reports running empty', () => {
  let now = 0;
  const inner = new CountingSink();
  let empties = 0;
  const link = new PacedSink(inner, 1000, () => now);
  link.attach(() => empties++);
  assert.equal(link.write(Buffer.alloc(500)), true);
  assert.equal(inner.bytes, 64, 'the initial burst only');
  assert.equal(link.writableLength, 436);
  now = 100;
  link.tick();
  assert.equal(inner.bytes, 128, 'the burst caps the credit at 64 bytes');
  for (let t = 110; t <= 1000; t += 10) {
    now = t;
    link.tick();
    assert.ok(inner.bytes <= 64 + t, `${inner.bytes} bytes by ${t} ms`);
  }
  assert.equal(inner.bytes, 500);
  assert.equal(empties, 1);
  assert.equal(link.write(Buffer.alloc(20_000)), false, 'over the high-water mark');
  link.setRate(0);
  assert.equal(link.writableLength, 0, 'rate 0 = pass-through');
  link.close();
});
