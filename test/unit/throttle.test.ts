import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AuthThrottle, throttleKey, type ThrottleLimits } from '../../src/core/throttle.js';

const LIMITS: ThrottleLimits = { failuresPerWindow: 5, windowMs: 60_000, banMs: 60_000, maxEntries: 1000 };

/** A throttle on a clock the test moves by hand. */
function make(limits: Partial<ThrottleLimits> = {}) {
  const clock = { t: 1_000_000 };
  const throttle = new AuthThrottle({ ...LIMITS, ...limits }, () => clock.t);
  return { throttle, clock };
}

test('the fifth failure within the window bans the address for banMs', () => {
  const { throttle } = make();
  for (let i = 0; i < 4; i++) assert.equal(throttle.failed('10.0.0.1'), 0);
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 0);
  assert.equal(throttle.failed('10.0.0.1'), 60_000);
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 60_000);
  assert.equal(throttle.refusals, 1);
});

test('a ban is per address: other addresses may still try', () => {
  const { throttle } = make();
  for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1');
  assert.ok(throttle.retryAfterMs('10.0.0.1') > 0);
  assert.equal(throttle.retryAfterMs('10.0.0.2'), 0);
});

test('failures slower than the limit never ban, however many', () => {
  const { throttle, clock } = make();
  for (let i = 0; i < 20; i++) {
    assert.equal(throttle.failed('10.0.0.1'), 0);
    assert.equal(throttle.failed('10.0.0.1'), 0);
    clock.t += 31_000;
  }
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 0);
});

test('the ban ends after banMs and counting starts afresh', () => {
  const { throttle, clock } = make();
  for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1');
  clock.t += 59_999;
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 1);
  clock.t += 1;
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 0);
  for (let i = 0; i < 4; i++) assert.equal(throttle.failed('10.0.0.1'), 0);
  assert.equal(throttle.failed('10.0.0.1'), 60_000);
});

test('failures of verifications still running when the ban began extend it', () => {
  const { throttle } = make();
  for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1');
  // 95 more guesses that were all in flight at once: each adds banMs / failuresPerWindow.
  for (let i = 0; i < 95; i++) throttle.failed('10.0.0.1');
  assert.equal(throttle.retryAfterMs('10.0.0.1'), 60_000 + 95 * 12_000);
});

test('IPv4-mapped addresses count as IPv4, IPv6 addresses count per /64', () => {
  assert.equal(throttleKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(throttleKey('::FFFF:10.1.2.3'), '10.1.2.3');
  assert.equal(throttleKey('10.1.2.3'), '10.1.2.3');
  assert.equal(throttleKey('2001:db8:1:2:aaaa::1'), throttleKey('2001:0db8:0001:0002:ffff:1:2:3'));
  assert.notEqual(throttleKey('2001:db8:1:2::1'), throttleKey('2001:db8:1:3::1'));
  assert.equal(throttleKey('::1'), '0:0:0:0::/64');
  assert.equal(throttleKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(throttleKey('unknown'), 'unknown');

  const { throttle } = make();
  for (let i = 0; i < 5; i++) throttle.failed(`2001:db8:1:2::${i + 1}`);
  assert.ok(throttle.retryAfterMs('2001:db8:1:2:ffff:ffff:ffff:ffff') > 0, 'changing address inside the /64 does not dodge the ban');
  assert.equal(throttle.retryAfterMs('2001:db8:1:3::1'), 0);
});

test('expired entries are forgotten, so the table empties when the failures stop', () => {
  const { throttle, clock } = make();
  for (let i = 0; i < 100; i++) throttle.failed(`10.0.${i >> 8}.${i & 255}`);
  for (let i = 0; i < 5; i++) throttle.failed('10.9.9.9');
  assert.equal(throttle.size, 101);
  clock.t += 59_999;
  throttle.retryAfterMs('10.1.1.1');
  assert.equal(throttle.size, 101);
  clock.t += 1;
  assert.equal(throttle.retryAfterMs('10.1.1.1'), 0);
  assert.equal(throttle.size, 0);
});

test('property: at most failuresPerWindow guesses per address in any window, whatever the timing', () => {
  const limits: ThrottleLimits = { failuresPerWindow: 3, windowMs: 10_000, banMs: 30_000, maxEntries: 16 };
  const op = fc.record({ ip: fc.integer({ min: 0, max: 15 }), advance: fc.integer({ min: 0, max: 6_000 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const clock = { t: 0 };
      const throttle = new AuthThrottle(limits, () => clock.t);
      // Like the server: a guess is only verified when retryAfterMs says 0, and every guess fails.
      const guesses = new Map<number, number[]>();
      for (const { ip, advance } of ops) {
        clock.t += advance;
        const addr = `192.0.2.${ip}`;
        if (throttle.retryAfterMs(addr) > 0) continue;
        throttle.failed(addr);
        guesses.set(ip, [...(guesses.get(ip) ?? []), clock.t]);
      }
      const n = limits.failuresPerWindow;
      for (const times of guesses.values()) {
        for (let i = 0; i + n < times.length; i++) {
          const span = times[i + n]! - times[i]!;
          assert.ok(span >= limits.windowMs, `${n + 1} guesses within ${span} ms`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('property: the table stays within maxEntries under any mix of addresses and times', () => {
  const limits: ThrottleLimits = { failuresPerWindow: 3, windowMs: 10_000, banMs: 30_000, maxEntries: 16 };
  const op = fc.record({ ip: fc.integer({ min: 0, max: 200 }), advance: fc.integer({ min: 0, max: 3_000 }), check: fc.boolean() });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 500 }), (ops) => {
      const clock = { t: 0 };
      const throttle = new AuthThrottle(limits, () => clock.t);
      for (const { ip, advance, check } of ops) {
        clock.t += advance;
        if (check) throttle.retryAfterMs(`198.51.100.${ip}`);
        else throttle.failed(`198.51.100.${ip}`);
        assert.ok(throttle.size <= limits.maxEntries);
      }
    }),
    { numRuns: 200 },
  );
});

test('a full table evicts the least recently failed address first', () => {
  const { throttle, clock } = make({ maxEntries: 3 });
  throttle.failed('10.0.0.1');
  clock.t += 1;
  throttle.failed('10.0.0.2');
  clock.t += 1;
  throttle.failed('10.0.0.1');
  clock.t += 1;
  throttle.failed('10.0.0.3');
  clock.t += 1;
  throttle.failed('10.0.0.4');
  assert.equal(throttle.size, 3);
  // 10.0.0.2 was evicted: its count is gone; 10.0.0.1 kept its two failures.
  for (let i = 0; i < 3; i++) assert.equal(throttle.failed('10.0.0.1'), i < 2 ? 0 : 60_000);
});
