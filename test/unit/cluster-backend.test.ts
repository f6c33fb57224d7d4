import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendError, CHANNELS, type BackendListener, type ClusterBackend } from '../../src/cluster/backend.js';
import { LocalBackend, LocalBroker } from '../../src/cluster/local.js';
import { RedisBackend, parseRedisUrl } from '../../src/cluster/redis.js';
import { hasRedis, startRedis, startRedisCluster, type RedisProc } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';

// One conformance suite for the ClusterBackend contract (src/cluster/backend.ts), run against
// every implementation: LocalBackend on a shared broker, RedisBackend on a standalone redis-server
// and RedisBackend on a 3-master Redis Cluster with sharded pub/sub. Nothing here waits a guessed
// time: every wait is for an event or a state, bounded by WAIT_MS.

/** What a test needs from the engine behind the backends it opens. */
interface Engine {
  /** Whether one publisher's order holds across channels (not on Redis Cluster). */
  readonly crossChannelOrder: boolean;
  /** A channel on the engine `down()` takes away (on Redis Cluster, the shard holding the keys). */
  readonly outageChannel: string;
  /** Whether `down()` and `up()` lose the leases (a Redis restart does; a simulated outage does not). */
  readonly forgets: boolean;
  /** What the backends logged; undefined where they log nothing (local). */
  readonly logs: string[] | undefined;
  /** Channels the engine spreads over all its shards (one per shard). */
  spread(): string[];
  open(): Promise<ClusterBackend>;
  /** Lets lease time pass: the local clock moves; for Redis real time passes by itself. */
  pass(ms: number): void;
  /** Empties the engine, so a test does not see what another left. */
  reset(): Promise<void>;
  /** The engine (or the part holding `outageChannel` and the keys) goes away, then comes back empty. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

interface Impl {
  readonly name: string;
  /** Why this implementation cannot run here, or false. */
  readonly skip: string | false;
  start(): Promise<Engine>;
}

/** A lease short enough for a test to see it expire (on Redis, in real time). */
const SHORT_TTL_MS = 300;

const noRedis = hasRedis() ? false : 'redis-server is not installed (.ci/run installs it)';

const IMPLEMENTATIONS: readonly Impl[] = [
  {
    name: 'local',
    skip: false,
    async start() {
      let clock = 1_000_000;
      let broker = new LocalBroker({ now: () => clock });
      const opened: LocalBackend[] = [];
      return {
        crossChannelOrder: true,
        outageChannel: CHANNELS.room('lobby'),
        forgets: false,
        logs: undefined,
        spread: () => [CHANNELS.room('lobby')],
        open: async () => {
          const b = broker.connect();
          opened.push(b);
          return b;
        },
        pass: (ms) => void (clock += ms),
        reset: async () => {
          broker = new LocalBroker({ now: () => clock });
          opened.length = 0;
        },
        down: async () => opened.forEach((b) => broker.setDown(b, true)),
        up: async () => opened.forEach((b) => broker.setDown(b, false)),
        stop: async () => {},
      };
    },
  },
  {
    name: 'redis standalone',
    skip: noRedis,
    async start() {
      const proc = await startRedis();
      const logs: string[] = [];
      return {
        crossChannelOrder: true,
        outageChannel: CHANNELS.room('lobby'),
        forgets: true,
        logs,
        spread: () => [CHANNELS.room('lobby')],
        open: () => RedisBackend.connect(proc.url, { commandTimeoutMs: 2_000, log: (m) => logs.push(m) }),
        pass: () => {},
        reset: async () => void proc.cli('flushall'),
        down: () => proc.kill(),
        up: () => proc.start(),
        stop: () => proc.stop(),
      };
    },
  },
  {
    name: 'redis cluster (sharded pub/sub)',
    skip: noRedis,
    async start() {
      const cluster = await startRedisCluster(3);
      const owners = slotOwners(cluster.masters);
      const ownerOf = (name: string): RedisProc => owners(Number(cluster.masters[0]!.cli('cluster', 'keyslot', name).trim()));
      // The channel in the keys' slot: killing its master takes both away.
      const outageChannel = CHANNELS.room('{chat}');
      const keysMaster = ownerOf('{chat}');
      const spread: string[] = [];
      for (let i = 0; spread.length < cluster.masters.length; i++) {
        const channel = CHANNELS.room(`r${i}`);
        if (!spread.some((c) => ownerOf(c) === ownerOf(channel))) spread.push(channel);
      }
      const logs: string[] = [];
      return {
        crossChannelOrder: false,
        outageChannel,
        forgets: true,
        logs,
        spread: () => spread,
        open: () => RedisBackend.connect(cluster.urls, { cluster: true, commandTimeoutMs: 2_000, log: (m) => logs.push(m) }),
        pass: () => {},
        reset: async () => cluster.masters.forEach((m) => m.cli('flushall')),
        down: () => keysMaster.kill(),
        up: async () => {
          await keysMaster.start();
          // Back with its nodes.conf (same id and slots); the cluster is usable once it says ok.
          await waitUntil(() => cluster.masters.every((m) => m.cli('cluster', 'info').includes('cluster_state:ok')), () => 'cluster_state:ok on every master', { everyMs: 100 });
        },
        stop: () => cluster.stop(),
      };
    },
  },
];

/** slot -> the master serving it, from `CLUSTER NODES` (lines like `id host:port@bus myself,master - 0 0 1 connected 0-5460`). */
function slotOwners(masters: RedisProc[]): (slot: number) => RedisProc {
  const ranges: Array<{ from: number; to: number; proc: RedisProc }> = [];
  for (const proc of masters) {
    const mine = proc.cli('cluster', 'nodes').split('\n').find((l) => l.includes('myself'));
    for (const part of mine?.split(' ').slice(8) ?? []) {
      const [from, to = from] = part.split('-').map(Number);
      if (from !== undefined && Number.isInteger(from)) ranges.push({ from, to: to!, proc });
    }
  }
  return (slot) => {
    const r = ranges.find((x) => slot >= x.from && slot <= x.to);
    if (r === undefined) throw new Error(`no master serves slot ${slot}`);
    return r.proc;
  };
}

const PROBE = 'probe:';

/** Records what a backend's listener is told; probe messages (see settle) are kept apart. */
class Probe implements BackendListener {
  readonly got: Array<{ channel: string; payload: string }> = [];
  readonly probes = new Set<string>();
  readonly states: Array<{ up: boolean; reason: string | undefined }> = [];
  /** Set by a test around calls that must not call the listener back synchronously. */
  inside = false;
  synchronous = 0;

  constructor(readonly backend: ClusterBackend) {
    backend.listen(this);
  }

  onMessage(channel: string, payload: string): void {
    if (this.inside) this.synchronous++;
    if (payload.startsWith(PROBE)) this.probes.add(payload);
    else this.got.push({ channel, payload });
  }

  onState(up: boolean, reason?: string): void {
    if (this.inside) this.synchronous++;
    this.states.push({ up, reason });
  }

  on(channel: string): string[] {
    return this.got.filter((m) => m.channel === channel).map((m) => m.payload);
  }
}

let settles = 0;

/**
 * Resolves once every probe in `subs` hears `pub` on `channel`: the contract gives no
 * acknowledgement of a subscription (on Redis it is made on another connection than a publish), so
 * a test publishes probes until they arrive, and what it publishes after is routed to the subscribers.
 */
async function settle(pub: ClusterBackend, channel: string, subs: Probe[]): Promise<void> {
  const token = `${PROBE}${++settles}`;
  await waitUntil(
    () => subs.every((s) => s.probes.has(token)) || (pub.publish(channel, token), false),
    () => `${channel}: a probe reaches ${subs.length} subscriber(s)`,
    { everyMs: 20 },
  );
}

/** Waits until `probe` has `n` messages on `channel`. */
async function heard(probe: Probe, channel: string, n: number): Promise<void> {
  await waitUntil(() => probe.on(channel).length >= n, () => `${n} messages on ${channel}, got ${JSON.stringify(probe.on(channel).slice(-5))} (${probe.on(channel).length})`);
}

/** Waits until `node` has no lease any more (its ttl ran out). */
async function leaseGone(engine: Engine, b: ClusterBackend, node: string, ttlMs: number): Promise<void> {
  engine.pass(ttlMs + 1);
  await waitUntil(async () => !(await b.nodes()).some((l) => l.node === node), () => `${node}'s lease expires`, { everyMs: 50 });
}

const range = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

for (const impl of IMPLEMENTATIONS) {
  describe(`cluster backend: ${impl.name}`, { skip: impl.skip }, () => {
    let engine: Engine;
    before(async () => {
      engine = await impl.start();
    });
    after(async () => {
      await engine?.stop();
    });

    /** Runs `fn` on a fresh engine with `n` open backends, and closes them whatever happens. */
    async function withBackends(n: number, fn: (...probes: Probe[]) => Promise<void>): Promise<void> {
      await engine.reset();
      const probes: Probe[] = [];
      try {
        for (let i = 0; i < n; i++) probes.push(new Probe(await engine.open()));
        await fn(...probes);
      } finally {
        await Promise.all(probes.map((p) => p.backend.close()));
      }
    }

    test('a message reaches the subscribed instances (the publisher too, when it is subscribed) and no other', async () => {
      await withBackends(3, async (a, b, c) => {
        const room = CHANNELS.room('dev');
        const other = CHANNELS.node('c');
        a.backend.subscribe(room);
        b.backend.subscribe(room);
        c.backend.subscribe(other);
        await settle(a.backend, room, [a, b]);
        await settle(a.backend, other, [c]);
        assert.equal(a.backend.publish(room, 'one'), true);
        assert.equal(c.backend.publish(room, 'two'), true, 'a publisher need not be subscribed');
        assert.equal(a.backend.publish(other, 'to c'), true);
        await heard(a, room, 2);
        await heard(b, room, 2);
        await heard(c, other, 1);
        assert.deepEqual(a.on(room).sort(), ['one', 'two']);
        assert.deepEqual(b.on(room).sort(), ['one', 'two']);
        assert.deepEqual(c.got, [{ channel: other, payload: 'to c' }], 'c is not subscribed to the room');
        assert.deepEqual([a.on(other), b.on(other)], [[], []]);
        assert.equal(a.backend.publish(CHANNELS.room('nobody'), 'x'), true, 'a channel nobody hears still takes the message');
      });
    });

    test('subscribe and unsubscribe are idempotent; after unsubscribe nothing more arrives on the channel', async () => {
      await withBackends(2, async (a, b) => {
        const room = CHANNELS.room('dev');
        const sync = CHANNELS.node('a');
        a.backend.subscribe(room);
        a.backend.subscribe(room);
        a.backend.subscribe(sync);
        await settle(b.backend, room, [a]);
        await settle(b.backend, sync, [a]);
        b.backend.publish(room, 'before');
        await heard(a, room, 1);
        a.backend.unsubscribe(room);
        a.backend.unsubscribe(room);
        b.backend.publish(room, 'after');
        b.backend.publish(sync, 'sync');
        await heard(a, sync, 1);
        a.backend.subscribe(room);
        await settle(b.backend, room, [a]);
        b.backend.publish(room, 'again');
        await heard(a, room, 2);
        assert.deepEqual(a.on(room), ['before', 'again'], 'nothing from while it was unsubscribed, once each');
      });
    });

    test('300 messages on a channel arrive in each publisher\'s order, none lost, none twice', async () => {
      await withBackends(3, async (a, b, c) => {
        const room = CHANNELS.room('dev');
        c.backend.subscribe(room);
        a.backend.subscribe(room);
        await settle(a.backend, room, [a, c]);
        await settle(b.backend, room, [a, c]);
        for (const i of range(300)) {
          assert.equal(a.backend.publish(room, `a${i}`), true);
          assert.equal(b.backend.publish(room, `b${i}`), true);
        }
        for (const p of [a, c]) {
          await heard(p, room, 600);
          assert.deepEqual(p.on(room).filter((m) => m.startsWith('a')), range(300).map((i) => `a${i}`));
          assert.deepEqual(p.on(room).filter((m) => m.startsWith('b')), range(300).map((i) => `b${i}`));
        }
        assert.equal(c.on(room).length, 600);
      });
    });

    test('across channels, one publisher\'s order holds (LocalBackend and standalone Redis)', async (t) => {
      if (!engine.crossChannelOrder) return t.skip('Redis Cluster keeps the order per channel only (channels live on shards)');
      await withBackends(2, async (a, b) => {
        const channels = [CHANNELS.control, CHANNELS.room('dev'), CHANNELS.node('b')];
        for (const ch of channels) b.backend.subscribe(ch);
        for (const ch of channels) await settle(a.backend, ch, [b]);
        const sent = range(300).map((i) => ({ channel: channels[Number(i) % 3]!, payload: `m${i}` }));
        for (const m of sent) a.backend.publish(m.channel, m.payload);
        await waitUntil(() => b.got.length >= 300, () => `300 messages, got ${b.got.length}`);
        assert.deepEqual(b.got, sent);
      });
    });

    test('onMessage and onState are never called from inside publish or subscribe', async () => {
      await withBackends(1, async (a) => {
        const room = CHANNELS.room('dev');
        a.backend.subscribe(room);
        await settle(a.backend, room, [a]);
        a.inside = true;
        a.backend.publish(room, 'mine');
        a.backend.subscribe(CHANNELS.room('other'));
        a.backend.unsubscribe(CHANNELS.room('other'));
        a.backend.publish(room, 'mine again');
        a.inside = false;
        await heard(a, room, 2);
        assert.equal(a.synchronous, 0);
        assert.deepEqual(a.on(room), ['mine', 'mine again']);
      });
    });

    test('claim is atomic: two nodes claiming the same keys at once, exactly one wins each', async () => {
      await withBackends(2, async (a, b) => {
        assert.equal(await a.backend.renew('n1', '{}', 60_000, true), 'ok');
        assert.equal(await b.backend.renew('n2', '{}', 60_000, true), 'ok');
        const keys = range(50).map((i) => `user${i}`);
        const results = await Promise.all(keys.map((k) => Promise.all([a.backend.claim(k, 'n1'), b.backend.claim(k, 'n2')])));
        for (const [i, [one, two]] of results.entries()) assert.equal(Number(one) + Number(two), 1, `${keys[i]}: ${one} ${two}`);
      });
    });

    test('claim succeeds again for its holder and fails for another live node; release frees only the holder\'s key', async () => {
      await withBackends(2, async (a, b) => {
        await a.backend.renew('n1', '{}', 60_000, true);
        await b.backend.renew('n2', '{}', 60_000, true);
        assert.equal(await a.backend.claim('alice', 'n1'), true);
        assert.equal(await a.backend.claim('alice', 'n1'), true, 'idempotent for the holder');
        assert.equal(await b.backend.claim('alice', 'n1'), true, 'from any instance');
        assert.equal(await b.backend.claim('alice', 'n2'), false);
        await b.backend.release('alice', 'n2');
        assert.equal(await b.backend.claim('alice', 'n2'), false, 'a release by another node changes nothing');
        await a.backend.release('alice', 'n1');
        assert.equal(await b.backend.claim('alice', 'n2'), true);
        assert.equal(await a.backend.claim('alice', 'n1'), false);
        await a.backend.release('nobody', 'n1');
      });
    });

    test('a claim held by a node whose lease expired is taken over; that node\'s next renew says lapsed', async () => {
      await withBackends(2, async (a, b) => {
        const ttl = SHORT_TTL_MS;
        assert.equal(await a.backend.renew('n1', '{"name":"one"}', ttl, true), 'ok');
        await b.backend.renew('n2', '{}', 600_000, true);
        assert.equal(await a.backend.claim('alice', 'n1'), true);
        assert.equal(await b.backend.claim('alice', 'n2'), false, 'n1 is live');
        await leaseGone(engine, b.backend, 'n1', ttl);
        assert.equal(await b.backend.claim('alice', 'n2'), true, 'n1 has no lease');
        assert.equal(await a.backend.claim('alice', 'n1'), false, 'n2 is live');
        assert.equal(await a.backend.renew('n1', '{"name":"one"}', 60_000), 'lapsed');
        assert.equal(await a.backend.renew('n1', '{"name":"one"}', 60_000), 'ok');
        assert.equal(await a.backend.claim('alice', 'n1'), false, 'a renewed lease does not bring a lost claim back');
      });
    });

    test('renew: ok when the lease was there or first, lapsed when it had expired; nodes() lists live leases with their info', async () => {
      await withBackends(2, async (a, b) => {
        assert.deepEqual(await a.backend.nodes(), []);
        assert.equal(await a.backend.renew('n1', '{"v":1}', 60_000, true), 'ok');
        assert.equal(await a.backend.renew('n1', '{"v":2}', 60_000), 'ok');
        assert.equal(await b.backend.renew('n2', '{"v":3}', SHORT_TTL_MS), 'lapsed', 'not first and no lease');
        const leases = (await b.backend.nodes()).sort((x, y) => x.node.localeCompare(y.node));
        assert.deepEqual(leases.map((l) => [l.node, l.info]), [['n1', '{"v":2}'], ['n2', '{"v":3}']]);
        for (const l of leases) assert.ok(l.ttlMs > 0 && l.ttlMs <= 60_000, `${l.node} ttl ${l.ttlMs}`);
        await leaseGone(engine, a.backend, 'n2', SHORT_TTL_MS);
        assert.deepEqual((await a.backend.nodes()).map((l) => l.node), ['n1']);
        assert.equal(await b.backend.renew('n2', '{"v":4}', 60_000, true), 'ok', 'first: ok even when it had gone');
      });
    });

    test('declareDead: exactly one of two callers wins; the lease and claims go; the next renew says dead', async () => {
      await withBackends(3, async (a, b, c) => {
        for (const [p, node] of [[a, 'n1'], [b, 'n2'], [c, 'n3']] as const) await p.backend.renew(node, '{}', 60_000, true);
        assert.equal(await c.backend.claim('carol', 'n3'), true);
        assert.equal(await c.backend.claim('dave', 'n3'), true);
        await c.backend.release('dave', 'n3');
        assert.equal(await b.backend.claim('dave', 'n2'), true);
        const wins = await Promise.all([a.backend.declareDead('n3'), b.backend.declareDead('n3')]);
        assert.deepEqual(wins.sort(), [false, true]);
        assert.equal(await a.backend.declareDead('n3'), false, 'already dead');
        assert.deepEqual((await a.backend.nodes()).map((l) => l.node).sort(), ['n1', 'n2']);
        assert.equal(await a.backend.claim('carol', 'n1'), true, "n3's claims are free");
        assert.equal(await a.backend.claim('dave', 'n1'), false, 'a key n3 no longer held stays with n2');
        assert.equal(await c.backend.renew('n3', '{}', 60_000), 'dead');
        assert.equal(await c.backend.claim('carol', 'n3'), false);
      });
    });

    test('leave frees the lease and the claims, with no dead mark', async () => {
      await withBackends(2, async (a, b) => {
        await a.backend.renew('n1', '{}', 60_000, true);
        await b.backend.renew('n2', '{}', 60_000, true);
        assert.equal(await a.backend.claim('alice', 'n1'), true);
        assert.equal(await a.backend.claim('bob', 'n1'), true);
        await a.backend.leave('n1');
        assert.deepEqual((await b.backend.nodes()).map((l) => l.node), ['n2']);
        assert.equal(await b.backend.claim('alice', 'n2'), true);
        assert.equal(await b.backend.claim('bob', 'n2'), true);
        assert.equal(await a.backend.renew('n1', '{}', 60_000), 'lapsed', 'not dead: its lease is just gone');
        assert.equal(await b.backend.declareDead('n1'), true, 'leaving left no dead mark');
      });
    });

    test('on every shard, a subscription delivers', async () => {
      await withBackends(2, async (a, b) => {
        const channels = engine.spread();
        for (const ch of channels) b.backend.subscribe(ch);
        for (const ch of channels) await settle(a.backend, ch, [b]);
        for (const ch of channels) a.backend.publish(ch, `on ${ch}`);
        for (const ch of channels) {
          await heard(b, ch, 1);
          assert.deepEqual(b.on(ch), [`on ${ch}`]);
        }
      });
    });

    // Last: it takes the engine away and brings it back empty.
    test('losing the engine: onState(false), publish false, calls reject; back: onState(true) and the subscriptions work again', async () => {
      await withBackends(2, async (a, b) => {
        const channel = engine.outageChannel;
        a.backend.subscribe(channel);
        await settle(b.backend, channel, [a]);
        assert.equal(await b.backend.renew('n2', '{}', 60_000, true), 'ok');
        engine.logs?.splice(0);
        await engine.down();
        for (const p of [a, b]) await waitUntil(() => p.states.some((s) => !s.up), () => 'onState(false)');
        for (const p of [a, b]) {
          assert.equal(p.backend.up, false);
          assert.equal(p.backend.publish(channel, 'lost'), false);
          await assert.rejects(p.backend.claim('alice', 'n1'), BackendError);
          await assert.rejects(p.backend.renew('n1', '{}', 1_000), BackendError);
        }
        a.backend.subscribe(CHANNELS.control);
        await engine.up();
        for (const p of [a, b]) await waitUntil(() => p.states.at(-1)?.up === true, () => `onState(true) after ${JSON.stringify(p.states)}`);
        for (const p of [a, b]) {
          assert.deepEqual(p.states.map((s) => s.up), [false, true], 'once per loss and once per return');
          assert.ok(p.states[0]!.reason, 'a loss says why');
          assert.equal(p.backend.up, true);
        }
        if (engine.logs !== undefined) {
          const logged = engine.logs.join('\n');
          assert.match(logged, /down: /, 'the loss is logged, with its reason');
          assert.match(logged, /up again/, 'the return is logged');
        }
        // Not subscribed again by the test: the backend restored the subscriptions (and made the one
        // asked for while it was down).
        await settle(b.backend, channel, [a]);
        await settle(b.backend, CHANNELS.control, [a]);
        assert.equal(b.backend.publish(channel, 'back'), true);
        await heard(a, channel, 1);
        assert.deepEqual(a.on(channel), ['back']);
        assert.equal(await b.backend.renew('n2', '{}', 60_000), engine.forgets ? 'lapsed' : 'ok', 'a Redis restart loses the lease');
        assert.equal(await b.backend.claim('alice', 'n2'), true);
      });
    });
  });
}

test('Redis URLs: user, password, port, database and TLS are read; anything else is refused', () => {
  assert.deepEqual(parseRedisUrl('redis://chat:p%40ss@redis.example:6380/2'), { host: 'redis.example', port: 6380, username: 'chat', password: 'p@ss', db: 2, tls: false });
  assert.deepEqual(parseRedisUrl('rediss://:secret@[::1]'), { host: '::1', port: 6379, username: undefined, password: 'secret', db: 0, tls: true });
  for (const bad of ['http://host:6379', 'redis://host/x', 'host:6379']) assert.throws(() => parseRedisUrl(bad), BackendError, bad);
});
