import { X509Certificate } from 'node:crypto';
import type { Logger } from '../core/log.js';
import { ConfigError, helpText, loadConfig } from './config.js';
import { ServerLogger } from './log.js';
import { startChatServer, type ChatServer } from './server.js';
import { SQLITE_HOW_TO, sqliteInstalled } from './sqlite-loader.js';
import { tuneHeap } from './heap.js';
import { VERSION } from './version.js';

/**
 * `chat-server [options]`: runs the server until SIGINT/SIGTERM; SIGHUP reads the users file and
 * the TLS certificate and key again (`reload`). Returns the exit code.
 */
export async function runServe(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = loadConfig(argv);
  } catch (err: unknown) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`chat-server: ${err.message}\n`);
    return err.exitCode;
  }
  if (parsed.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`chat-server ${VERSION}\n`);
    return 0;
  }
  const { config, explicit } = parsed;
  tuneHeap();
  const log = new ServerLogger({ format: config.logFormat, quiet: config.quiet, messages: config.logMessages });
  let server;
  try {
    server = await startChatServer(config, log, undefined, explicit);
  } catch (err: unknown) {
    process.stderr.write(`chat-server: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  // The handlers go in before the banner: whoever reads 'Chat server running' may signal at once,
  // and a SIGTERM before a handler exists kills the process without a shutdown.
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.event('SHUTDOWN', `${signal} received; closing ${server.listeners.size} connections`);
    server.close().then(
      () => {
        log.flush();
        resolveExit(0);
      },
      (err: unknown) => {
        log.error('SHUTDOWN', err instanceof Error ? err.message : String(err));
        log.flush();
        resolveExit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // One reload at a time: a second SIGHUP during one runs after it, so the last files read win.
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    if (stopping) return;
    reloading = reloading.then(() => reload(server, log));
  });

  log.banner(`Chat server running on ${config.host}:${server.port}`);
  if (server.tlsPort !== undefined) log.banner(`TLS on ${config.tlsHost ?? config.host}:${server.tlsPort}`);
  const webHost = config.httpHost ?? config.host;
  const urlHost = webHost.includes(':') ? `[${webHost}]` : webHost;
  if (server.httpPort !== undefined) log.banner(`Web client on http://${urlHost}:${server.httpPort}/`);
  if (server.httpsPort !== undefined) log.banner(`Web client on https://${urlHost}:${server.httpsPort}/`);
  const ircHost = config.ircHost ?? config.host;
  if (server.ircPort !== undefined) log.banner(`IRC on ${ircHost}:${server.ircPort} (server name ${config.serverName})`);
  if (server.ircTlsPort !== undefined) log.banner(`IRC over TLS on ${ircHost}:${server.ircTlsPort}`);
  if (server.metricsPort !== undefined) log.banner(`Metrics on http://${config.metricsHost}:${server.metricsPort}/metrics`);
  log.banner(`Accounts: ${server.ctx.accounts.description}`);
  if (server.ctx.cluster !== undefined) log.banner(`Cluster node ${server.ctx.cluster.id} on ${redisShown(config.redis)}${config.redisCluster ? ' (Redis Cluster)' : ''}; history and offline messages in Redis`);
  else log.banner(config.dataDir === undefined ? `History: in memory, the last ${config.history} lines per room (${keepHint()})` : `History and offline messages: ${config.dataDir}/chat.db`);
  if (config.auth === 'open') log.banner('WARNING: open mode (--auth open): anyone can log in as any name with any password.');

  return exited;
}

/** How history could be kept on disk, or why it cannot be here (better-sqlite3 could not be built). */
function keepHint(): string {
  if (sqliteInstalled()) return '--data-dir DIR keeps it, and offline messages, on disk';
  return `--data-dir is unavailable: better-sqlite3, which it needs, could not be built here; ${SQLITE_HOW_TO}`;
}

/**
 * SIGHUP: the users file (--users) and the TLS certificate and key (--tls-cert, --tls-key) are read
 * again, without dropping a connection: logged-in sessions stay, open TLS connections keep their
 * certificate and new handshakes get the new one. A file that cannot be used is logged and the
 * previous version stays in force. Never rejects.
 */
async function reload(server: ChatServer, log: Logger): Promise<void> {
  log.event('RELOAD', 'SIGHUP received; reading the users file and the TLS certificate again');
  // UsersFile logs the outcome itself ([ACCOUNTS] Reloaded ..., or why the file cannot be used).
  await server.ctx.accounts.reloadNow?.();
  const tls = server.tls;
  if (tls === undefined) return;
  try {
    tls.reload();
    const cert = new X509Certificate(tls.cert);
    log.event('TLS', `reloaded ${tls.certFile} and ${tls.keyFile}: new connections get ${cert.subject.replace(/\n/g, ', ')}, valid until ${new Date(cert.validTo).toISOString()}`, { cert: tls.certFile });
  } catch (err: unknown) {
    log.error('TLS', `not reloaded: ${err instanceof Error ? err.message : String(err)}; still serving the previous certificate`, { cert: tls.certFile });
  }
}

/** Redis URLs as the banner shows them: without the password. */
function redisShown(urls: readonly string[]): string {
  return urls
    .map((u) => {
      const url = new URL(u);
      if (url.password !== '') url.password = '***';
      return url.toString();
    })
    .join(', ');
}
