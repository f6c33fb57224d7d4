import { Hub } from '../core/hub.js';
import { Counters } from '../core/counters.js';
import { DEFAULTS } from '../core/limits.js';
import { DemoAccounts, OpenAccounts, WithGuests, type AccountStore } from '../core/accounts.js';
import type { Logger } from '../core/log.js';
import type { ChatContext } from '../core/context.js';
import { monotonicMs } from '../core/clock.js';
import { TurnFlush, type FlushHooks } from '../core/turn-flush.js';
import { LocalClaims } from '../core/name-claims.js';
import { ClusterNode } from '../cluster/node.js';
import type { ClusterBackend } from '../cluster/backend.js';
import { hostname } from 'node:os';
import { VerifyQueue } from '../core/verify-queue.js';
import { StoreError, type ChatStore } from '../core/store.js';
import { watchSaves } from '../core/history.js';
import { MemoryStore } from '../store/memory.js';
import { openSqliteStore } from './sqlite-loader.js';
import { listenError } from './listen-errors.js';
import { textProtocol } from '../protocols/text/protocol.js';
import { wsProtocol } from '../protocols/ws/protocol.js';
import { ircProtocol } from '../protocols/irc/protocol.js';
import { listenWeb } from '../net/http.js';
import { notReady } from '../net/health.js';
import { VERSION } from './version.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Listeners } from '../net/listeners.js';
import { listenTls, TlsFiles } from '../net/tls.js';
import { clientsThatFit, descriptorWarning, openFileLimit } from '../net/descriptors.js';
import { webHosts } from '../net/host-check.js';
import { AuthThrottle } from '../core/throttle.js';
import type { ServerConfig } from './config.js';
import { startStatsLog } from './stats.js';
import { startMetrics, type MetricsServer } from './metrics.js';

/** A running chat server: the hub, its listeners and counters. Used by the CLI, simulate and tests. */
export interface ChatServer {
  readonly ctx: ChatContext;
  readonly config: ServerConfig;
  readonly listeners: Listeners;
  /** The bound plain-TCP port. */
  readonly port: number;
  /** The bound TLS port, when --tls-port is set. */
  readonly tlsPort: number | undefined;
  /** The bound web client / WebSocket ports (undefined: off, or the default port was busy). */
  readonly httpPort: number | undefined;
  readonly httpsPort: number | undefined;
  /** The bound IRC ports (undefined: off, or the default port was busy). */
  readonly ircPort: number | undefined;
  readonly ircTlsPort: number | undefined;
  /** The bound Prometheus /metrics port, when --metrics-port is set. */
  readonly metricsPort: number | undefined;
  /** The TLS certificate and key the TLS and HTTPS listeners serve (reloaded on SIGHUP); undefined without TLS. */
  readonly tls: TlsFiles | undefined;
  /** Graceful shutdown: notice to everyone, bounded flush, close. */
  close(): Promise<void>;
}

export async function loadAccounts(config: ServerConfig, log: Logger): Promise<AccountStore> {
  const usersFile = async (path: string): Promise<AccountStore> => {
    const { UsersFile } = await import('../store/accounts/users-file.js');
    return UsersFile.load(path, { onWarning: (msg: string) => log.error('ACCOUNTS', msg), onReload: (msg: string) => log.event('ACCOUNTS', msg) });
  };
  switch (config.auth) {
    case 'open':
      // With a users file: its names need their password, any other name is a guest.
      return config.users === undefined ? new OpenAccounts() : new WithGuests(await usersFile(config.users));
    case 'builtin':
      return new DemoAccounts();
    case 'file':
      return usersFile(config.users!);
  }
}

/** Where history and offline messages are kept: the server's options that choose and bound the store. */
export interface StoreOptions extends Pick<ServerConfig, 'dataDir' | 'history' | 'offlineLimit' | 'retentionDays'> {
  /** Redis URLs (--redis): one standalone Redis, or seeds of a Redis Cluster with `redisCluster`. */
  readonly redis?: readonly string[] | undefined;
  readonly redisCluster?: boolean | undefined;
}

/**
 * The store the options ask for: Redis (--redis, shared by the nodes of a cluster), SQLite
 * (--data-dir), or history in memory. Both --redis and --data-dir is a StoreError (each would hold
 * the history), as is an unusable DIR, better-sqlite3 missing (an optional dependency, loaded only
 * for --data-dir: see sqlite-loader.ts) or a Redis that cannot be reached. A durable store sends
 * each turn's history from `turns`' beforeFlush hook (the server's TurnFlush), before that turn's
 * outboxes write; without `turns` it does so at the end of the turn on its own.
 */
export async function openStore(config: StoreOptions, log: Logger, turns?: FlushHooks): Promise<ChatStore> {
  const limits = { history: config.history, offline: config.offlineLimit, retentionMs: config.retentionDays * 86_400_000 };
  const onError = (message: string): void => log.error('STORE', message);
  if (config.redis !== undefined && config.redis.length > 0) {
    if (config.dataDir !== undefined) throw new StoreError('--data-dir and --redis both store history; choose one');
    const { RedisStore } = await import('../store/redis.js');
    return RedisStore.connect(config.redis, limits, onError, { cluster: config.redisCluster === true, turns });
  }
  if (config.dataDir === undefined) return new MemoryStore(limits);
  return openSqliteStore(config.dataDir, limits, onError, turns);
}

/** Connects to the Redis of --redis; rejects when it cannot be reached. */
async function connectRedis(config: ServerConfig, log: Logger): Promise<ClusterBackend> {
  const { RedisBackend } = await import('../cluster/redis.js');
  return RedisBackend.connect(config.redis, {
    cluster: config.redisCluster,
    commandTimeoutMs: DEFAULTS.redisCommandTimeoutMs,
    log: (message: string) => log.error('CLUSTER', message),
  });
}

/** The built web client: dist/web, beside dist/src (this file is dist/src/server/server.js). */
export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/**
 * Starts everything `config` asks for. `explicit` names the options the user set: a default port
 * that is busy (the web listener's 8080) is then a warning and that listener stays off, while a port
 * given explicitly that cannot be bound stops the start.
 */
export async function startChatServer(
  config: ServerConfig,
  log: Logger,
  accounts?: AccountStore,
  explicit: ReadonlySet<keyof ServerConfig> = new Set(),
  /** A cluster engine to join instead of --redis (tests join several servers in one process through a LocalBroker). */
  backend?: ClusterBackend,
): Promise<ChatServer> {
  // Read the TLS files before any listener starts: a bad file must stop the server, not half-start it.
  const needTls = config.tlsPort !== undefined || config.httpsPort !== null || config.ircTlsPort !== null;
  const tlsCredentials = needTls ? new TlsFiles(config.tlsCert!, config.tlsKey!) : undefined;
  const counters = new Counters();
  // This server's end-of-turn flush, built before the store, which commits from its hook.
  const flush = new TurnFlush();
  const store = await openStore(config, log, flush);
  const engine =
    backend ??
    (config.redis.length > 0
      ? await connectRedis(config, log).catch(async (err: unknown) => {
          await store.close();
          throw err;
        })
      : undefined);
  const cluster = engine === undefined ? undefined : new ClusterNode(engine, { nodeName: config.nodeName ?? `${hostname()}:${config.port}`, nodeTimeoutMs: config.nodeTimeoutMs });
  const ctx: ChatContext = {
    hub: new Hub({ announceLimit: config.announceLimit, noticeDelayMs: config.noticeDelayMs, maxRoomsPerMember: config.maxRoomsPerUser }),
    accounts: accounts ?? (await loadAccounts(config, log)),
    claims: cluster ?? new LocalClaims(),
    verifier: new VerifyQueue({ concurrency: DEFAULTS.authVerifyConcurrency, perKey: DEFAULTS.authVerifyPerIp }, (ip) => ctx.throttle.standing(ip)),
    settings: config,
    log,
    counters,
    store,
    replayOnJoin: config.replayOnJoin,
    flush,
    clock: monotonicMs,
    startedAt: monotonicMs(),
    cluster: undefined,
    throttle: new AuthThrottle({
      failuresPerWindow: config.authFailures,
      windowMs: config.authWindowMs,
      banMs: config.authBanMs,
      maxEntries: DEFAULTS.authThrottleMaxEntries,
    }),
    shuttingDown: false,
  };
  // The senders of room lines the store could not write are told so (history.ts).
  watchSaves(ctx);
  if (cluster !== undefined) {
    ctx.cluster = cluster;
    await cluster.start(ctx);
    log.event('CLUSTER', `node ${cluster.id} joined the cluster on ${cluster.backend.kind}`, { node: cluster.id });
  }
  // Every connection costs a descriptor: a --max-clients the open-file limit cannot hold would end
  // in connections closed unanswered, so it is capped (and said) here instead.
  const fileLimit = openFileLimit();
  const warning = descriptorWarning(config.maxClients, fileLimit, DEFAULTS.fdReserve);
  if (warning !== undefined) log.error('LIMITS', warning, { maxClients: config.maxClients, fileLimit, reserve: DEFAULTS.fdReserve });
  const listeners = new Listeners(
    {
      maxClients: clientsThatFit(config.maxClients, fileLimit, DEFAULTS.fdReserve),
      maxPerIp: config.maxPerIp,
      keepaliveMs: DEFAULTS.keepaliveMs,
      shutdownFlushMs: DEFAULTS.shutdownFlushMs,
      refusalsMax: DEFAULTS.refusalsMax,
      fdProbeIntervalMs: DEFAULTS.fdProbeIntervalMs,
      acceptErrorLogIntervalMs: DEFAULTS.acceptErrorLogIntervalMs,
    },
    counters,
    log,
  );
  const text = textProtocol(ctx, config);
  let port: number;
  try {
    port = await listeners.listenTcp(config.host, config.port, text);
  } catch (err: unknown) {
    await abort();
    throw listenError(err, 'port', config.port, 'host', config.host);
  }
  let tlsPort: number | undefined;
  if (tlsCredentials !== undefined && config.tlsPort !== undefined) {
    const tlsOptions = {
      host: config.tlsHost ?? config.host,
      port: config.tlsPort!,
      credentials: tlsCredentials,
      handshakeTimeoutMs: DEFAULTS.tlsHandshakeTimeoutMs,
      flushMs: DEFAULTS.shutdownFlushMs,
    };
    try {
      tlsPort = await listenTls(listeners, tlsOptions, text, log);
    } catch (err: unknown) {
      // The plain listener is already up; close it so a failed start does not leave the process serving.
      await abort();
      throw listenError(err, 'tls-port', config.tlsPort, config.tlsHost === undefined ? 'host' : 'tls-host', tlsOptions.host);
    }
  }
  // A failed start closes what is already open: listeners, and the store's lock on --data-dir.
  async function abort(): Promise<void> {
    await listeners.shutdown();
    await cluster?.stop();
    await store.close();
  }
  const irc = ircProtocol(ctx, {
    serverName: config.serverName,
    network: 'chatd',
    version: `chatd-${VERSION}`,
    createdAt: new Date().toUTCString(),
    loginTimeoutMs: config.loginTimeoutMs,
    pingIntervalMs: DEFAULTS.ircPingIntervalMs,
    maxRoomsPerUser: config.maxRoomsPerUser,
  });
  const ws = wsProtocol(
    ctx,
    { maxPayload: DEFAULTS.wsMaxPayload, loginTimeoutMs: config.loginTimeoutMs, pingIntervalMs: DEFAULTS.wsPingIntervalMs, presenceMax: DEFAULTS.wsPresenceMax, serverName: 'chatd', version: VERSION },
    config.httpOrigins,
    irc,
  );
  /**
   * Starts an optional listener (web, IRC). A busy port that was not chosen explicitly is a warning
   * and that listener stays off; any other failure stops the start (listeners already up are closed).
   */
  const optional = async (key: keyof ServerConfig, flag: string, what: string, port: number | null, [hostFlag, host]: readonly [string, string], start: (port: number) => Promise<number>): Promise<number | undefined> => {
    if (port === null) return undefined;
    try {
      return await start(port);
    } catch (err: unknown) {
      if (!explicit.has(key) && typeof err === 'object' && err !== null && 'code' in err && err.code === 'EADDRINUSE') {
        log.error('LISTEN', `port ${port} is busy, so ${what} is off (choose another with --${flag} N)`);
        return undefined;
      }
      await abort();
      throw listenError(err, flag, port, hostFlag, host);
    }
  };
  const web = {
    host: config.httpHost ?? config.host,
    webRoot: WEB_ROOT,
    hosts: webHosts(config.serverName, config.webHosts),
    timeouts: {
      headersMs: DEFAULTS.httpHeadersTimeoutMs,
      requestMs: DEFAULTS.httpRequestTimeoutMs,
      keepAliveMs: DEFAULTS.httpKeepAliveTimeoutMs,
      idleMs: DEFAULTS.httpIdleTimeoutMs,
      checkMs: DEFAULTS.httpTimeoutCheckMs,
      tlsHandshakeMs: DEFAULTS.tlsHandshakeTimeoutMs,
      flushMs: DEFAULTS.shutdownFlushMs,
    },
  };
  const webHostFlag = [config.httpHost === undefined ? 'host' : 'http-host', web.host] as const;
  // /readyz says 'starting' until every listener is up (set just before this function returns).
  let started = false;
  const readiness = (): string[] => notReady(ctx, started);
  const httpPort = await optional('httpPort', 'http-port', 'the web client', config.httpPort, webHostFlag, (p) => listenWeb(listeners, { ...web, port: p, credentials: undefined, readiness }, ws, log));
  const httpsPort = await optional('httpsPort', 'https-port', 'the web client', config.httpsPort, webHostFlag, (p) => listenWeb(listeners, { ...web, port: p, credentials: tlsCredentials, readiness }, ws, log));
  const ircHost = config.ircHost ?? config.host;
  const ircHostFlag = [config.ircHost === undefined ? 'host' : 'irc-host', ircHost] as const;
  const ircPort = await optional('ircPort', 'irc-port', 'the IRC listener', config.ircPort, ircHostFlag, (p) => listeners.listenTcp(ircHost, p, irc));
  const ircTlsPort = await optional('ircTlsPort', 'irc-tls-port', 'the IRC TLS listener', config.ircTlsPort, ircHostFlag, (p) =>
    listenTls(listeners, { host: ircHost, port: p, credentials: tlsCredentials!, handshakeTimeoutMs: DEFAULTS.tlsHandshakeTimeoutMs, flushMs: DEFAULTS.shutdownFlushMs }, irc, log),
  );
  let metrics: MetricsServer | undefined;
  if (config.metricsPort > 0) {
    try {
      metrics = await startMetrics(ctx, config);
    } catch (err: unknown) {
      await abort();
      throw listenError(err, 'metrics-port', config.metricsPort, 'metrics-host', config.metricsHost);
    }
  }
  const stopStats = startStatsLog(ctx, config.statsIntervalS);
  const purge = (): void => {
    store.purge(ctx.hub.now()).then(
      (n) => {
        if (n > 0) log.event('STORE', `purged ${n} entries older than ${config.retentionDays} days`, { purged: n });
      },
      (err: unknown) => log.error('STORE', `purge failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  purge();
  const purgeTimer = setInterval(purge, DEFAULTS.purgeIntervalMs);
  purgeTimer.unref();
  started = true;
  return {
    ctx,
    config,
    listeners,
    port,
    tlsPort,
    httpPort,
    httpsPort,
    ircPort,
    ircTlsPort,
    metricsPort: metrics?.port,
    tls: tlsCredentials,
    async close() {
      stopStats();
      clearInterval(purgeTimer);
      await metrics?.close();
      ctx.shuttingDown = true;
      // Held join/leave notices go out before the shutdown notice, in order.
      ctx.hub.flushNotices();
      await listeners.shutdown();
      // After the listeners: each session's leave went out on the bus before the node says bye.
      await cluster?.stop();
      await store.close();
    },
  };
}

