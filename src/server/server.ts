import { Hub } from '../core/hub.js';
import { Counters } from '../core/counters.js';
import { DEFAULTS } from '../core/limits.js';
import { DemoAccounts, OpenAccounts, type AccountStore } from '../core/accounts.js';
import type { Logger } from '../core/log.js';
import type { ChatContext } from '../core/context.js';
import { monotonicMs } from '../core/clock.js';
import { LocalClaims } from '../core/name-claims.js';
import { VerifyQueue } from '../core/verify-queue.js';
import { textProtocol } from '../protocols/text/protocol.js';
import { wsProtocol } from '../protocols/ws/protocol.js';
import { ircProtocol } from '../protocols/irc/protocol.js';
import { listenWeb } from '../net/http.js';
import { VERSION } from './version.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Listeners } from '../net/listeners.js';
import { listenTls, loadTlsCredentials } from '../net/tls.js';
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
  /** Graceful shutdown: notice to everyone, bounded flush, close. */
  close(): Promise<void>;
}

export async function loadAccounts(config: ServerConfig, log: Logger): Promise<AccountStore> {
  switch (config.auth) {
    case 'open':
      return new OpenAccounts();
    case 'builtin':
      return new DemoAccounts();
    case 'file': {
      const { UsersFile } = await import('../core/users-file.js');
      return UsersFile.load(config.users!, { onWarning: (msg: string) => log.error('ACCOUNTS', msg), onReload: (msg: string) => log.event('ACCOUNTS', msg) });
    }
  }
}

/** The built web client: dist/web, beside dist/src (this file is dist/src/server/server.js). */
export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/**
 * Starts everything `config` asks for. `explicit` names the options the user set: a default port
 * that is busy (the web listener's 8080) is then a warning and that listener stays off, while a port
 * given explicitly that cannot be bound stops the start.
 */
export async function startChatServer(config: ServerConfig, log: Logger, accounts?: AccountStore, explicit: ReadonlySet<keyof ServerConfig> = new Set()): Promise<ChatServer> {
  // Read the TLS files before any listener starts: a bad file must stop the server, not half-start it.
  const needTls = config.tlsPort !== undefined || config.httpsPort !== null || config.ircTlsPort !== null;
  const tlsCredentials = needTls ? loadTlsCredentials(config.tlsCert!, config.tlsKey!) : undefined;
  const counters = new Counters();
  const ctx: ChatContext = {
    hub: new Hub({ announceLimit: config.announceLimit, noticeDelayMs: config.noticeDelayMs }),
    accounts: accounts ?? (await loadAccounts(config, log)),
    claims: new LocalClaims(),
    verifier: new VerifyQueue({ concurrency: DEFAULTS.authVerifyConcurrency, perKey: DEFAULTS.authVerifyPerIp }),
    settings: config,
    log,
    counters,
    clock: monotonicMs,
    startedAt: monotonicMs(),
    throttle: new AuthThrottle({
      failuresPerWindow: config.authFailures,
      windowMs: config.authWindowMs,
      banMs: config.authBanMs,
      maxEntries: DEFAULTS.authThrottleMaxEntries,
    }),
    shuttingDown: false,
  };
  const listeners = new Listeners(
    { maxClients: config.maxClients, maxPerIp: config.maxPerIp, keepaliveMs: DEFAULTS.keepaliveMs, shutdownFlushMs: DEFAULTS.shutdownFlushMs },
    counters,
    log,
  );
  const text = textProtocol(ctx, config);
  const port = await listeners.listenTcp(config.host, config.port, text);
  let tlsPort: number | undefined;
  if (tlsCredentials !== undefined && config.tlsPort !== undefined) {
    const tlsOptions = {
      host: config.tlsHost ?? config.host,
      port: config.tlsPort!,
      credentials: tlsCredentials,
      handshakeTimeoutMs: DEFAULTS.tlsHandshakeTimeoutMs,
      maxConnections: config.maxClients,
    };
    try {
      tlsPort = await listenTls(listeners, tlsOptions, text, log);
    } catch (err: unknown) {
      // The plain listener is already up; close it so a failed start does not leave the process serving.
      await listeners.shutdown();
      throw err;
    }
  }
  const ws = wsProtocol(
    ctx,
    { maxPayload: DEFAULTS.wsMaxPayload, loginTimeoutMs: config.loginTimeoutMs, pingIntervalMs: DEFAULTS.wsPingIntervalMs, presenceMax: DEFAULTS.wsPresenceMax, serverName: 'chatd', version: VERSION },
    config.httpOrigins,
  );
  const web = async (key: 'httpPort' | 'httpsPort', port: number | null, credentials?: typeof tlsCredentials): Promise<number | undefined> => {
    if (port === null) return undefined;
    try {
      return await listenWeb(listeners, { host: config.httpHost ?? config.host, port, credentials, webRoot: WEB_ROOT }, ws, log);
    } catch (err: unknown) {
      if (!explicit.has(key) && isAddressInUse(err)) {
        log.error('LISTEN', `port ${port} is busy, so the web client is off (choose another with --${key === 'httpPort' ? 'http-port' : 'https-port'} N)`);
        return undefined;
      }
      await listeners.shutdown();
      throw err;
    }
  };
  const httpPort = await web('httpPort', config.httpPort);
  const httpsPort = await web('httpsPort', config.httpsPort, tlsCredentials);
  const irc = ircProtocol(ctx, {
    serverName: config.serverName,
    network: 'chatd',
    version: `chatd-${VERSION}`,
    createdAt: new Date().toUTCString(),
    loginTimeoutMs: config.loginTimeoutMs,
    pingIntervalMs: DEFAULTS.ircPingIntervalMs,
    maxRoomsPerUser: DEFAULTS.maxRoomsPerUser,
  });
  const ircListen = async (key: 'ircPort' | 'ircTlsPort', port: number | null): Promise<number | undefined> => {
    if (port === null) return undefined;
    const host = config.ircHost ?? config.host;
    try {
      if (key === 'ircPort') return await listeners.listenTcp(host, port, irc);
      return await listenTls(listeners, { host, port, credentials: tlsCredentials!, handshakeTimeoutMs: DEFAULTS.tlsHandshakeTimeoutMs, maxConnections: config.maxClients }, irc, log);
    } catch (err: unknown) {
      if (!explicit.has(key) && isAddressInUse(err)) {
        log.error('LISTEN', `port ${port} is busy, so the IRC listener is off (choose another with --${key === 'ircPort' ? 'irc-port' : 'irc-tls-port'} N)`);
        return undefined;
      }
      await listeners.shutdown();
      throw err;
    }
  };
  const ircPort = await ircListen('ircPort', config.ircPort);
  const ircTlsPort = await ircListen('ircTlsPort', config.ircTlsPort);
  let metrics: MetricsServer | undefined;
  if (config.metricsPort > 0) {
    try {
      metrics = await startMetrics(ctx, config);
    } catch (err: unknown) {
      await listeners.shutdown();
      throw err;
    }
  }
  const stopStats = startStatsLog(ctx, config.statsIntervalS);
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
    async close() {
      stopStats();
      await metrics?.close();
      ctx.shuttingDown = true;
      // Held join/leave notices go out before the shutdown notice, in order.
      ctx.hub.flushNotices();
      await listeners.shutdown();
    },
  };
}

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EADDRINUSE';
}
