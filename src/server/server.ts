import { Hub } from '../core/hub.js';
import { Counters } from '../core/counters.js';
import { DEFAULTS } from '../core/limits.js';
import { DemoAccounts, OpenAccounts, type AccountStore } from '../core/accounts.js';
import type { Logger } from '../core/log.js';
import type { ChatContext } from '../protocols/context.js';
import { TextSession } from '../protocols/text/session.js';
import { Listeners } from '../net/listeners.js';
import type { ServerConfig } from './config.js';

/** A running chat server: the hub, its listeners and counters. Used by the CLI, simulate and tests. */
export interface ChatServer {
  readonly ctx: ChatContext;
  readonly listeners: Listeners;
  /** The bound plain-TCP port. */
  readonly port: number;
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

export async function startChatServer(config: ServerConfig, log: Logger, accounts?: AccountStore): Promise<ChatServer> {
  const counters = new Counters();
  const ctx: ChatContext = {
    hub: new Hub(DEFAULTS.defaultRoom, DEFAULTS.maxRooms),
    accounts: accounts ?? (await loadAccounts(config, log)),
    config,
    log,
    counters,
    shuttingDown: false,
  };
  const listeners = new Listeners(
    { maxClients: config.maxClients, maxPerIp: config.maxPerIp, keepaliveMs: DEFAULTS.keepaliveMs, shutdownFlushMs: DEFAULTS.shutdownFlushMs },
    counters,
    log,
  );
  const port = await listeners.listenTcp(config.host, config.port, (transport) => new TextSession(transport, ctx));
  return {
    ctx,
    listeners,
    port,
    async close() {
      ctx.shuttingDown = true;
      await listeners.shutdown();
    },
  };
}
