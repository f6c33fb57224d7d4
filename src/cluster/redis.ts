import { Cluster, Redis, type ClientContext, type Result } from 'ioredis';
import { BackendError, type BackendListener, type ClusterBackend, type NodeLease, type RenewResult } from './backend.js';
import { DEAD_MARK_MS } from './local.js';

/**
 * Every control key carries the hash tag `{chat}`: on Redis Cluster they all live in one slot, so
 * one Lua script may touch several of them.
 */
const KEYS = {
  /** name claim: the node holding the name */
  name: (key: string): string => `{chat}:name:${key}`,
  /** set: the keys a node claimed (some may have been taken over since) */
  names: (node: string): string => `{chat}:names:${node}`,
  /** the node's lease: its info, with the lease's time to live */
  lease: (node: string): string => `{chat}:lease:${node}`,
  /** present while the node is declared dead */
  dead: (node: string): string => `{chat}:dead:${node}`,
  /** set: every node that renewed a lease (pruned by `nodes()` when the lease is gone) */
  leases: '{chat}:leases',
} as const;

// KEYS: name:<key>, names:<node>. ARGV: node, key, lease prefix, names prefix.
// Free, held by the node already, or held by a node with no lease: the claim is the node's.
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  if redis.call('EXISTS', ARGV[3] .. holder) == 1 then return 0 end
  redis.call('SREM', ARGV[4] .. holder, ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1`;

// KEYS: name:<key>, names:<node>. ARGV: node, key.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
end
return 1`;

// KEYS: lease:<node>, dead:<node>, leases. ARGV: node, info, ttl ms, first ('1' or '0').
// A dead node's lease is not set again: its id stays dead until the mark expires.
const RENEW = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 'dead' end
local had = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
if had == 1 or ARGV[4] == '1' then return 'ok' end
return 'lapsed'`;

// KEYS: lease:<node>, names:<node>, dead:<node>, leases. ARGV: node, name prefix, dead mark ms
// ('0': a clean leave, no mark). Returns 0 when the node is already marked dead, else 1; deletes
// the lease and the claims the node still holds (not those taken over from it since).
const FREE = `
if ARGV[3] ~= '0' and not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('GET', ARGV[2] .. key) == ARGV[1] then redis.call('DEL', ARGV[2] .. key) end
end
redis.call('DEL', KEYS[2])
return 1`;

// KEYS: leases. ARGV: lease prefix. Returns node, info, pttl for every live lease (flat), and
// forgets the nodes whose lease is gone. A set instead of SCAN: one slot, one round trip, and it
// does not walk the claims that share the slot.
const NODES = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local info = redis.call('GET', ARGV[1] .. node)
  if info then
    out[#out + 1] = node
    out[#out + 1] = info
    out[#out + 1] = redis.call('PTTL', ARGV[1] .. node)
  else
    redis.call('SREM', KEYS[1], node)
  end
end
return out`;

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext> {
    chatClaim(nameKey: string, namesKey: string, node: string, key: string, leasePrefix: string, namesPrefix: string): Result<number, Context>;
    chatRelease(nameKey: string, namesKey: string, node: string, key: string): Result<number, Context>;
    chatRenew(leaseKey: string, deadKey: string, leasesKey: string, node: string, info: string, ttlMs: number, first: string): Result<RenewResult, Context>;
    chatFree(leaseKey: string, namesKey: string, deadKey: string, leasesKey: string, node: string, namePrefix: string, deadMs: number): Result<number, Context>;
    chatNodes(leasesKey: string, leasePrefix: string): Result<Array<string | number>, Context>;
  }
}

function defineScripts(client: Redis | Cluster): void {
  client.defineCommand('chatClaim', { numberOfKeys: 2, lua: CLAIM });
  client.defineCommand('chatRelease', { numberOfKeys: 2, lua: RELEASE });
  client.defineCommand('chatRenew', { numberOfKeys: 3, lua: RENEW });
  client.defineCommand('chatFree', { numberOfKeys: 4, lua: FREE });
  client.defineCommand('chatNodes', { numberOfKeys: 1, lua: NODES });
}

export interface RedisBackendOptions {
  /** Redis Cluster: the URLs are seed nodes, pub/sub is sharded (SPUBLISH/SSUBSCRIBE, Redis 7). */
  readonly cluster?: boolean;
  /** The longest any call waits for Redis (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /** How long `connect` waits for the first connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Connection lost and back, with the reason. */
  readonly log?: (msg: string) => void;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: boolean;
}

/** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS); BackendError when it is neither. */
export function parseRedisUrl(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BackendError(`not a Redis URL: ${url}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new BackendError(`not a redis:// or rediss:// URL: ${u.protocol}//${u.host}`);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new BackendError(`bad database number in Redis URL: ${path}`);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 6379 : Number(u.port),
    username: u.username === '' ? undefined : decodeURIComponent(u.username),
    password: u.password === '' ? undefined : decodeURIComponent(u.password),
    db,
    tls: u.protocol === 'rediss:',
  };
}

/** Reconnect delays: 100 ms doubling to 5 s, forever. */
const backoff = (attempt: number): number => Math.min(100 * 2 ** Math.min(attempt - 1, 6), 5_000);

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * ClusterBackend on Redis 7. Standalone: one connection for commands and PUBLISH, one for
 * SUBSCRIBE. Cluster: one ioredis Cluster client, SPUBLISH from its node connections and
 * SSUBSCRIBE on its per-shard subscriber connections (`shardedSubscribers`).
 *
 * `up` is true once every connection it needs is ready (in a cluster: a connection to every master
 * serving a slot) and every subscription was made again on it; any connection lost makes it false.
 * While it is false, publish answers false and every call rejects at once; a retry loop (and every
 * reconnect ioredis reports) checks again, and when the check passes `onState(true)` is called.
 * Subscriptions are restored by the backend itself, one channel at a time in a cluster (shard
 * channels live in different slots). Calls that were in flight when a connection dropped are not
 * sent again (a claim or declareDead must not run twice); they reject within the command timeout.
 * `connect` resolves once up, so the state when `listen` is called is `up` (true); `onState` tells
 * the changes after that.
 */
export class RedisBackend implements ClusterBackend {
  readonly kind: string;
  private listener: BackendListener | undefined;
  private readonly channels = new Set<string>();
  private isUp = false;
  private started = false;
  private closed = false;
  /** Bumped on each loss: a check that started before it does not bring the backend up. */
  private losses = 0;
  private checking = false;
  private checkAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAttempt = 0;
  private lastError = '';

  private constructor(
    /** Commands and publish (the Cluster client does both, and sharded subscribe too). */
    private readonly cmd: Redis | Cluster,
    /** Standalone: the subscriber connection; undefined in a cluster. */
    private readonly sub: Redis | undefined,
    private readonly where: string,
    private readonly timeoutMs: number,
    private readonly log: (msg: string) => void,
  ) {
    this.kind = sub === undefined ? 'redis cluster (sharded pub/sub)' : 'redis';
    defineScripts(cmd);
  }

  /**
   * Connects and resolves once up. Rejects with BackendError when the first connection fails or takes
   * longer than `connectTimeoutMs` (a server should not start without its engine); after that it
   * reconnects forever.
   */
  static async connect(url: string | readonly string[], opts: RedisBackendOptions = {}): Promise<RedisBackend> {
    const urls = typeof url === 'string' ? [url] : [...url];
    const endpoints = urls.map(parseRedisUrl);
    const first = endpoints[0];
    if (first === undefined) throw new BackendError('no Redis URL');
    const timeoutMs = opts.commandTimeoutMs ?? 2_000;
    const log = opts.log ?? (() => {});
    const where = endpoints.map((e) => `${e.host}:${e.port}`).join(',');
    const common = {
      username: first.username,
      password: first.password,
      tls: first.tls ? {} : undefined,
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(timeoutMs, 1_000),
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      lazyConnect: true,
    };
    let backend: RedisBackend;
    if (opts.cluster === true) {
      if (endpoints.some((e) => e.db !== 0)) throw new BackendError('Redis Cluster has database 0 only');
      const cluster = new Cluster(
        endpoints.map((e) => ({ host: e.host, port: e.port })),
        { shardedSubscribers: true, enableOfflineQueue: false, lazyConnect: true, clusterRetryStrategy: backoff, redisOptions: common },
      );
      backend = new RedisBackend(cluster, undefined, where, timeoutMs, log);
    } else {
      if (endpoints.length !== 1) throw new BackendError('standalone Redis takes one URL (pass cluster: true for seeds)');
      const options = { ...common, host: first.host, port: first.port, db: first.db, enableOfflineQueue: false, retryStrategy: backoff };
      backend = new RedisBackend(new Redis({ ...options, connectionName: 'chat-cmd' }), new Redis({ ...options, connectionName: 'chat-sub' }), where, timeoutMs, log);
    }
    try {
      await backend.start(opts.connectTimeoutMs ?? 10_000);
    } catch (err: unknown) {
      await backend.close();
      throw new BackendError(`cannot reach Redis at ${where}: ${message(err)}`);
    }
    return backend;
  }

  private async start(connectTimeoutMs: number): Promise<void> {
    const cmd = this.cmd;
    const noteError = (err: unknown): void => void (this.lastError = message(err));
    const because = (what: string): string => (this.lastError === '' ? what : `${what} (${this.lastError})`);
    if (cmd instanceof Cluster) {
      for (const event of ['error', 'node error', 'nodeError']) cmd.on(event, noteError);
      cmd.on('smessage', (channel: string, payload: string) => this.deliver(channel, payload));
      cmd.on('-node', (redis: Redis | null, key?: string) => this.lost(because(`lost the connection to ${key ?? `${redis?.options.host}:${redis?.options.port}`}`)));
      cmd.on('close', () => this.lost(because('cluster connection closed')));
      for (const event of ['ready', 'subscribersReady', '+node', 'refresh']) cmd.on(event, () => this.check());
    } else {
      for (const conn of [cmd, this.sub!]) {
        conn.on('error', noteError);
        conn.on('close', () => this.lost(because('connection closed')));
        conn.on('ready', () => this.check());
      }
      this.sub!.on('message', (channel: string, payload: string) => this.deliver(channel, payload));
    }
    const deadline = Date.now() + connectTimeoutMs;
    await this.timed(Promise.all([cmd.connect(), this.sub?.connect()]), connectTimeoutMs, 'connect');
    // A connection lost while restoring (in a cluster, a seed replaced by its slot-map name) means
    // restoring again.
    for (let losses = -1; losses !== this.losses; ) {
      if (Date.now() > deadline) throw new BackendError(`connect: not steady after ${connectTimeoutMs} ms`);
      losses = this.losses;
      await this.restore();
    }
    this.isUp = true;
    this.started = true;
  }

  get up(): boolean {
    return this.isUp && !this.closed;
  }

  listen(listener: BackendListener): void {
    this.listener = listener;
  }

  publish(channel: string, payload: string): boolean {
    if (!this.up) return false;
    try {
      const sent = this.cmd instanceof Cluster ? this.cmd.spublish(channel, payload) : this.cmd.publish(channel, payload);
      sent.catch(() => {});
      return true;
    } catch {
      return false;
    }
  }

  subscribe(channel: string): void {
    if (this.closed || this.channels.has(channel)) return;
    this.channels.add(channel);
    this.send([channel], true).catch(() => {});
  }

  unsubscribe(channel: string): void {
    if (!this.channels.delete(channel)) return;
    this.send([channel], false).catch(() => {});
  }

  /**
   * SUBSCRIBE/UNSUBSCRIBE (SSUBSCRIBE/SUNSUBSCRIBE in a cluster, one channel a command), all sent
   * before this returns, in call order; a failure is left to the next restore.
   */
  private async send(channels: string[], on: boolean): Promise<unknown> {
    if (channels.length === 0) return;
    const cmd = this.cmd;
    const sub = this.sub;
    const chunks: string[][] = [];
    if (sub === undefined) chunks.push(...channels.map((c) => [c]));
    else for (let i = 0; i < channels.length; i += 1_000) chunks.push(channels.slice(i, i + 1_000));
    // One promise a command, each handled, even if ioredis throws instead of rejecting.
    const sent = chunks.map((chunk): Promise<unknown> => {
      try {
        if (sub !== undefined) return on ? sub.subscribe(...chunk) : sub.unsubscribe(...chunk);
        return on ? cmd.ssubscribe(...chunk) : cmd.sunsubscribe(...chunk);
      } catch (err: unknown) {
        return Promise.reject(err);
      }
    });
    return Promise.all(sent);
  }

  private deliver(channel: string, payload: string): void {
    if (!this.closed && this.channels.has(channel)) this.listener?.onMessage(channel, payload);
  }

  /** Makes every subscription again and checks every connection answers; rejects if one does not. */
  private async restore(): Promise<void> {
    const cmd = this.cmd;
    const pings: Array<Promise<unknown>> = [];
    if (cmd instanceof Cluster) {
      if (cmd.status !== 'ready') throw new BackendError(`cluster ${cmd.status}`);
      const connected = new Map(cmd.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
      const masters = new Set<string>();
      for (const owners of cmd.slots) if (owners?.[0] !== undefined) masters.add(owners[0]);
      if (masters.size === 0) throw new BackendError('no slot map yet');
      for (const key of masters) {
        const node = connected.get(key);
        if (node === undefined) throw new BackendError(`no connection to master ${key}`);
        pings.push(node.ping());
      }
    } else {
      if (cmd.status !== 'ready' || this.sub?.status !== 'ready') throw new BackendError(`connection ${cmd.status}, subscriber ${this.sub?.status}`);
      pings.push(cmd.ping());
    }
    await this.timed(Promise.all([...pings, this.send([...this.channels], true)]), this.timeoutMs, 'restore');
  }

  /** A connection was lost: down (once per loss), and the retry loop starts. */
  private lost(reason: string): void {
    if (this.closed) return;
    this.losses++;
    if (!this.isUp) return;
    this.isUp = false;
    this.log(`redis ${this.where}: down: ${reason}`);
    this.listener?.onState(false, reason);
    this.retryLater();
  }

  /** Tries to come back up now (a connection reported ready, or the retry timer ran). */
  private check(): void {
    if (this.closed || this.isUp || !this.started) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    this.checkAgain = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const losses = this.losses;
    this.restore().then(
      () => {
        this.checking = false;
        if (this.closed) return;
        if (this.losses !== losses) return this.check();
        this.isUp = true;
        this.retryAttempt = 0;
        this.lastError = '';
        this.log(`redis ${this.where}: up again, ${this.channels.size} subscription(s) restored`);
        this.listener?.onState(true);
      },
      (err: unknown) => {
        this.checking = false;
        this.lastError = message(err);
        if (this.checkAgain) this.check();
        else this.retryLater();
      },
    );
  }

  private retryLater(): void {
    if (this.closed || this.isUp || this.checking || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.check();
    }, backoff(++this.retryAttempt));
  }

  /** `promise`, or a BackendError after `ms`. */
  private async timed<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BackendError(`${what}: no answer from Redis at ${this.where} in ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one command: BackendError at once while down, or when Redis fails or does not answer in time. */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (!this.up) throw new BackendError(`${what}: Redis at ${this.where} is ${this.closed ? 'closed' : `down${this.lastError ? ` (${this.lastError})` : ''}`}`);
    try {
      return await this.timed(run(), this.timeoutMs, what);
    } catch (err: unknown) {
      if (err instanceof BackendError) throw err;
      throw new BackendError(`${what}: ${message(err)}`);
    }
  }

  async claim(key: string, node: string): Promise<boolean> {
    return (await this.call('claim', () => this.cmd.chatClaim(KEYS.name(key), KEYS.names(node), node, key, KEYS.lease(''), KEYS.names('')))) === 1;
  }

  async release(key: string, node: string): Promise<void> {
    await this.call('release', () => this.cmd.chatRelease(KEYS.name(key), KEYS.names(node), node, key));
  }

  renew(node: string, info: string, ttlMs: number, first = false): Promise<RenewResult> {
    return this.call('renew', () => this.cmd.chatRenew(KEYS.lease(node), KEYS.dead(node), KEYS.leases, node, info, Math.max(1, Math.round(ttlMs)), first ? '1' : '0'));
  }

  async nodes(): Promise<NodeLease[]> {
    const flat = await this.call('nodes', () => this.cmd.chatNodes(KEYS.leases, KEYS.lease('')));
    const out: NodeLease[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) out.push({ node: String(flat[i]), info: String(flat[i + 1]), ttlMs: Number(flat[i + 2]) });
    return out;
  }

  async declareDead(node: string): Promise<boolean> {
    return (await this.call('declareDead', () => this.cmd.chatFree(KEYS.lease(node), KEYS.names(node), KEYS.dead(node), KEYS.leases, node, KEYS.name(''), DEAD_MARK_MS))) === 1;
  }

  async leave(node: string): Promise<void> {
    await this.call('leave', () => this.cmd.chatFree(KEYS.lease(node), KEYS.names(node), KEYS.dead(node), KEYS.leases, node, KEYS.name(''), 0));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.isUp = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.cmd.disconnect();
    this.sub?.disconnect();
  }
}
