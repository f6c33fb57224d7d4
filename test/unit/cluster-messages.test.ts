import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBusMessage } from '../../src/cluster/messages.js';
import { Hub } from '../../src/core/hub.js';
import type { ChatEvent } from '../../src/core/events.js';

/**
 * What crosses the bus comes from other processes (or anyone who can PUBLISH on the Redis): every
 * field is checked before the hub sees it, and nothing a peer sends can throw or change state it
 * should not.
 */

test('property: any payload parses to a message or to undefined, never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (payload) => {
      const m = parseBusMessage(payload);
      assert.ok(m === undefined || (typeof m.n === 'string' && typeof m.s === 'number'));
    }),
    { numRuns: 2000 },
  );
});

test('property: a message with one field of the wrong type is refused', () => {
  const good = { n: 'a~1', s: 3, t: 'ev', ev: { kind: 'message', stamp: { id: 1, at: 2, origin: 'a~1' }, from: 'u', room: 'lobby', text: 'hi' } };
  assert.ok(parseBusMessage(JSON.stringify(good)) !== undefined);
  const paths: Array<(o: typeof good, v: unknown) => void> = [
    (o, v) => ((o as Record<string, unknown>).n = v),
    (o, v) => ((o as Record<string, unknown>).s = v),
    (o, v) => ((o as Record<string, unknown>).t = v),
    (o, v) => ((o.ev as Record<string, unknown>).kind = v),
    (o, v) => ((o.ev as Record<string, unknown>).from = v),
    (o, v) => ((o.ev as Record<string, unknown>).text = v),
    (o, v) => ((o.ev.stamp as Record<string, unknown>).at = v),
  ];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: paths.length - 1 }), fc.oneof(fc.constant(null), fc.boolean(), fc.array(fc.integer()), fc.object(), fc.constant(Number.NaN)), (i, v) => {
      const o = structuredClone(good);
      paths[i]!(o, v);
      assert.equal(parseBusMessage(JSON.stringify(o)), undefined);
    }),
  );
});

test('events about unknown users or rooms change nothing and reach no one', () => {
  const hub = new Hub({ noticeDelayMs: 0 });
  const stamp = { id: 1, at: 1, origin: 'x~1' };
  const odd: ChatEvent[] = [
    { kind: 'left', stamp, user: 'ghost', room: 'lobby', how: 'part' },
    { kind: 'joined', stamp, user: 'ghost', room: 'lobby', how: 'join' },
    { kind: 'away', stamp, user: 'ghost', text: 'gone' },
    { kind: 'private', stamp, from: 'ghost', to: 'nobody', text: 'hi' },
    { kind: 'message', stamp, from: 'ghost', room: 'nowhere', text: 'hi' },
  ];
  for (const e of odd) hub.remoteEvent(e);
  hub.remoteOffline('ghost', true, undefined, stamp);
  assert.equal(hub.dropNode('x~1', 'gone'), 0);
  assert.equal(hub.total, 0);
  assert.deepEqual(hub.roomList(), []);
  assert.equal(hub.deliveries, 0);
});
