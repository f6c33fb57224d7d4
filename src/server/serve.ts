import { ConfigError, helpText, loadConfig } from './config.js';
import { ServerLogger } from './log.js';
import { startChatServer } from './server.js';
import { tuneHeap } from './heap.js';
import { VERSION } from './version.js';

/** `chat-server [options]`: runs the server until SIGINT/SIGTERM. Returns the exit code. */
export async function runServe(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = loadConfig(argv);
  } catch (err: unknown) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`chat-server: ${err.message}\n`);
    return 2;
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
  else log.banner(config.dataDir === undefined ? `History: in memory, the last ${config.history} lines per room (--data-dir DIR keeps it, and offline messages, on disk)` : `History and offline messages: ${config.dataDir}/chat.db`);
  if (config.auth === 'open') log.banner('WARNING: open mode (--auth open): anyone can log in as any name with any password.');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.event('SHUTDOWN', `${signal} received; closing ${server.listeners.size} connections`);
      server.close().then(
        () => {
          log.flush();
          resolve(0);
        },
        (err: unknown) => {
          log.error('SHUTDOWN', err instanceof Error ? err.message : String(err));
          log.flush();
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
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
