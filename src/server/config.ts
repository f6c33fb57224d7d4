import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DEFAULTS } from '../core/limits.js';
import { fsReason } from '../store/accounts/atomic-write.js';

/**
 * Server configuration: one table of options, read from CLI flags > environment (CHAT_*) > a JSON
 * config file (--config FILE / CHAT_CONFIG) > DEFAULTS (src/core/limits.ts). --help is generated
 * from the same table, so an option cannot exist without being documented.
 */
export interface ServerConfig {
  host: string;
  port: number;
  users: string | undefined;
  auth: 'builtin' | 'file' | 'open';
  maxLine: number;
  legacyQuietMs: number;
  queueSize: number;
  queueBytes: number;
  overflow: 'drop-newest' | 'drop-oldest' | 'disconnect';
  drainTimeoutMs: number;
  sendDelayMs: number;
  slow: Map<string, number>;
  linkRate: number;
  cc: 'aimd' | 'none';
  floodRate: number;
  floodBurst: number;
  floodPolicy: 'delay' | 'reject';
  statsIntervalS: number;
  metricsPort: number;
  metricsHost: string;
  loginTimeoutMs: number;
  maxClients: number;
  maxPerIp: number;
  announceLimit: number;
  /** Most rooms one user may be in at once (IRC's CHANLIMIT). */
  maxRoomsPerUser: number;
  noticeDelayMs: number;
  authFailures: number;
  authWindowMs: number;
  authBanMs: number;
  idleTimeoutMs: number;
  tlsPort: number | undefined;
  tlsHost: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Where the SQLite store lives (DIR/chat.db); undefined = history in memory only. */
  dataDir: string | undefined;
  history: number;
  offlineLimit: number;
  retentionDays: number;
  replayOnJoin: number;
  /** The web client and WebSocket listener; null = off. */
  httpPort: number | null;
  httpHost: string | undefined;
  /** The same over TLS (needs --tls-cert and --tls-key); null = off. */
  httpsPort: number | null;
  /** Origins besides the server's own whose pages may open the WebSocket. */
  httpOrigins: string[];
  /** Host names the web port answers to besides IP literals, localhost and serverName; '*' = any. */
  webHosts: string[];
  /** The IRC listener; null = off. */
  ircPort: number | null;
  ircHost: string | undefined;
  /** The IRC listener over TLS (needs --tls-cert and --tls-key); null = off. */
  ircTlsPort: number | null;
  /** Every IRC server line starts with `:serverName`. */
  serverName: string;
  /** Redis seed URLs: with them this server is one node of a cluster; empty = a single server. */
  redis: string[];
  /** The Redis URLs are a Redis Cluster (sharded pub/sub). */
  redisCluster: boolean;
  /** A node silent this long is declared dead (ms). */
  nodeTimeoutMs: number;
  /** This node's name in /stats all and cluster status. */
  nodeName: string | undefined;
  quiet: boolean;
  logFormat: 'text' | 'json';
  logMessages: boolean;
}

type Kind =
  | { type: 'string' }
  | { type: 'int'; min: number; max: number; scale?: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'onoff' }
  | { type: 'user-ms' }
  /** A TCP port, or `off`. */
  | { type: 'port-off' }
  /** Comma-separated web origins (scheme://host[:port]). */
  | { type: 'origins' }
  /** Comma-separated host names, or `*`. */
  | { type: 'hosts' }
  /** Comma-separated redis:// or rediss:// URLs. */
  | { type: 'redis-urls' };

interface OptionSpec {
  key: keyof ServerConfig;
  flag: string;
  arg: string;
  help: string;
  kind: Kind;
  /** Shown in --help; undefined = no default. */
  shown?: string;
}

const S = 1000;
const MAX_INT = 2 ** 31 - 1;

/** The option table. Order is the order of --help. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: 'host', arg: 'ADDR', help: 'address to listen on', kind: { type: 'string' }, shown: DEFAULTS.host },
  { key: 'port', flag: 'port', arg: 'N', help: 'TCP port (0 = any free port)', kind: { type: 'int', min: 0, max: 65535 }, shown: String(DEFAULTS.port) },
  { key: 'users', flag: 'users', arg: 'FILE', help: 'accounts file with scrypt hashes (see `chat-server users --help`)', kind: { type: 'string' } },
  { key: 'auth', flag: 'auth', arg: 'MODE', help: 'builtin (the seed\'s demo accounts), file (--users) or open (any name, any password; with --users, names in the file need their password and others are guests)', kind: { type: 'enum', values: ['builtin', 'file', 'open'] }, shown: 'builtin, or file with --users' },
  { key: 'maxLine', flag: 'max-line', arg: 'BYTES', help: 'longest accepted input line', kind: { type: 'int', min: 16, max: 1 << 20 }, shown: String(DEFAULTS.maxLine) },
  { key: 'legacyQuietMs', flag: 'legacy-quiet', arg: 'MS', help: 'quiet time after an unterminated username before using seed-client (chunk) framing', kind: { type: 'int', min: 1, max: 10_000 }, shown: String(DEFAULTS.legacyQuietMs) },
  { key: 'queueSize', flag: 'queue-size', arg: 'N', help: 'per-client outgoing queue, in messages', kind: { type: 'int', min: 1, max: 1_000_000 }, shown: String(DEFAULTS.queueSize) },
  { key: 'queueBytes', flag: 'queue-bytes', arg: 'BYTES', help: 'per-client outgoing bound in bytes (queue + socket buffer)', kind: { type: 'int', min: 1024, max: 1 << 30 }, shown: String(DEFAULTS.queueBytes) },
  { key: 'overflow', flag: 'overflow', arg: 'POLICY', help: 'when a queue is full: drop-newest, drop-oldest or disconnect', kind: { type: 'enum', values: ['drop-newest', 'drop-oldest', 'disconnect'] }, shown: DEFAULTS.overflow },
  { key: 'drainTimeoutMs', flag: 'drain-timeout', arg: 'SECONDS', help: 'close a client whose socket has not drained for this long (0 = never)', kind: { type: 'int', min: 0, max: 86_400, scale: S }, shown: String(DEFAULTS.drainTimeoutMs / S) },
  { key: 'sendDelayMs', flag: 'send-delay', arg: 'MS', help: 'artificial delay between messages sent to every client', kind: { type: 'int', min: 0, max: DEFAULTS.maxSendDelayMs }, shown: String(DEFAULTS.sendDelayMs) },
  { key: 'slow', flag: 'slow', arg: 'USER=MS', help: 'artificial send delay for one user (repeatable)', kind: { type: 'user-ms' } },
  { key: 'linkRate', flag: 'link-rate', arg: 'BYTES_PER_S', help: 'simulated per-client bandwidth (0 = unlimited)', kind: { type: 'int', min: 0, max: MAX_INT }, shown: String(DEFAULTS.linkRate) },
  { key: 'cc', flag: 'cc', arg: 'MODE', help: 'congestion control of each outbox: aimd or none', kind: { type: 'enum', values: ['aimd', 'none'] }, shown: DEFAULTS.cc },
  { key: 'floodRate', flag: 'flood-rate', arg: 'MSGS_PER_S', help: 'inbound messages per second per client (0 = no flood control)', kind: { type: 'int', min: 0, max: 1_000_000 }, shown: String(DEFAULTS.floodRate) },
  { key: 'floodBurst', flag: 'flood-burst', arg: 'N', help: 'inbound burst allowed above the rate', kind: { type: 'int', min: 1, max: 1_000_000 }, shown: String(DEFAULTS.floodBurst) },
  { key: 'floodPolicy', flag: 'flood-policy', arg: 'POLICY', help: 'over the rate: delay (pause reading) or reject (notice)', kind: { type: 'enum', values: ['delay', 'reject'] }, shown: DEFAULTS.floodPolicy },
  { key: 'statsIntervalS', flag: 'stats-interval', arg: 'SECONDS', help: 'seconds between [STATS] log lines (0 = off)', kind: { type: 'int', min: 0, max: 86_400 }, shown: String(DEFAULTS.statsIntervalS) },
  { key: 'metricsPort', flag: 'metrics-port', arg: 'N', help: 'serve Prometheus metrics at /metrics on this port (0 = off)', kind: { type: 'int', min: 0, max: 65535 }, shown: 'off' },
  { key: 'metricsHost', flag: 'metrics-host', arg: 'ADDR', help: 'address for the metrics listener', kind: { type: 'string' }, shown: DEFAULTS.metricsHost },
  { key: 'loginTimeoutMs', flag: 'login-timeout', arg: 'SECONDS', help: 'close connections not logged in after this long', kind: { type: 'int', min: 1, max: 86_400, scale: S }, shown: String(DEFAULTS.loginTimeoutMs / S) },
  { key: 'authFailures', flag: 'auth-failures', arg: 'N', help: 'failed logins allowed per address within --auth-window before it is refused', kind: { type: 'int', min: 1, max: 1_000_000 }, shown: String(DEFAULTS.authFailuresPerWindow) },
  { key: 'authWindowMs', flag: 'auth-window', arg: 'SECONDS', help: 'the window in which failed logins are counted', kind: { type: 'int', min: 1, max: 86_400, scale: S }, shown: String(DEFAULTS.authThrottleWindowMs / S) },
  { key: 'authBanMs', flag: 'auth-ban', arg: 'SECONDS', help: 'how long an address over the limit is refused', kind: { type: 'int', min: 1, max: 86_400 * 7, scale: S }, shown: String(DEFAULTS.authThrottleBanMs / S) },
  { key: 'maxClients', flag: 'max-clients', arg: 'N', help: 'most simultaneous connections', kind: { type: 'int', min: 1, max: 1_000_000 }, shown: String(DEFAULTS.maxClients) },
  { key: 'maxPerIp', flag: 'max-per-ip', arg: 'N', help: 'most simultaneous connections from one IP address', kind: { type: 'int', min: 1, max: 1_000_000 }, shown: String(DEFAULTS.maxPerIp) },
  { key: 'announceLimit', flag: 'announce-limit', arg: 'N', help: 'send join/leave notices only in rooms of at most N members (0 = always)', kind: { type: 'int', min: 0, max: 10_000_000 }, shown: String(DEFAULTS.announceLimit) },
  { key: 'maxRoomsPerUser', flag: 'max-rooms-per-user', arg: 'N', help: 'most rooms one user may be in at once (IRC and the web client; IRC\'s CHANLIMIT)', kind: { type: 'int', min: 1, max: 10_000 }, shown: String(DEFAULTS.maxRoomsPerUser) },
  { key: 'noticeDelayMs', flag: 'notice-delay', arg: 'MS', help: 'hold join/leave notices this long and send them as one chunk (0 = at once)', kind: { type: 'int', min: 0, max: 10_000 }, shown: String(DEFAULTS.noticeDelayMs) },
  { key: 'idleTimeoutMs', flag: 'idle-timeout', arg: 'SECONDS', help: 'close sessions with no input for this long (0 = never)', kind: { type: 'int', min: 0, max: 86_400 * 7, scale: S }, shown: 'off' },
  { key: 'tlsPort', flag: 'tls-port', arg: 'N', help: 'also listen for TLS on this port (needs --tls-cert and --tls-key)', kind: { type: 'int', min: 0, max: 65535 } },
  { key: 'tlsHost', flag: 'tls-host', arg: 'ADDR', help: 'address for the TLS listener', kind: { type: 'string' }, shown: 'same as --host' },
  { key: 'tlsCert', flag: 'tls-cert', arg: 'FILE', help: 'TLS certificate chain (PEM)', kind: { type: 'string' } },
  { key: 'tlsKey', flag: 'tls-key', arg: 'FILE', help: 'TLS private key (PEM)', kind: { type: 'string' } },
  { key: 'dataDir', flag: 'data-dir', arg: 'DIR', help: 'keep history and offline messages in DIR/chat.db (SQLite)', kind: { type: 'string' }, shown: 'none: history in memory only' },
  { key: 'history', flag: 'history', arg: 'N', help: 'messages kept per room', kind: { type: 'int', min: 1, max: 1_000_000 }, shown: String(DEFAULTS.historyPerRoom) },
  { key: 'offlineLimit', flag: 'offline-limit', arg: 'N', help: 'private messages kept per offline user (needs --data-dir or --redis)', kind: { type: 'int', min: 1, max: 100_000 }, shown: String(DEFAULTS.offlineLimit) },
  { key: 'retentionDays', flag: 'retention', arg: 'DAYS', help: 'stored messages older than this are deleted', kind: { type: 'int', min: 1, max: 36_500 }, shown: String(DEFAULTS.retentionDays) },
  { key: 'replayOnJoin', flag: 'replay-on-join', arg: 'N', help: 'send the room\'s last N lines after the welcome and after every join (0 = none)', kind: { type: 'int', min: 0, max: 1_000_000 }, shown: '0' },
  { key: 'httpPort', flag: 'http-port', arg: 'N|off', help: 'serve the web client and its WebSocket on this port (0 = any free port)', kind: { type: 'port-off' }, shown: String(DEFAULTS.httpPort) },
  { key: 'httpHost', flag: 'http-host', arg: 'ADDR', help: 'address for the web listener', kind: { type: 'string' }, shown: 'same as --host' },
  { key: 'httpsPort', flag: 'https-port', arg: 'N|off', help: 'serve the web client over HTTPS/WSS on this port (needs --tls-cert and --tls-key)', kind: { type: 'port-off' }, shown: 'off' },
  { key: 'httpOrigins', flag: 'http-origins', arg: 'LIST', help: 'other web origins allowed to open the WebSocket, e.g. https://chat.example.com', kind: { type: 'origins' }, shown: 'none: same origin only' },
  { key: 'webHosts', flag: 'web-hosts', arg: 'LIST', help: 'host names the web port answers to besides IP addresses, localhost and --server-name (others get 421, against DNS rebinding), e.g. chat.example.com; * = any (behind a proxy that checks Host)', kind: { type: 'hosts' }, shown: 'none' },
  { key: 'ircPort', flag: 'irc-port', arg: 'N|off', help: 'serve IRC clients (irssi, WeeChat, HexChat) on this port (0 = any free port)', kind: { type: 'port-off' }, shown: String(DEFAULTS.ircPort) },
  { key: 'ircHost', flag: 'irc-host', arg: 'ADDR', help: 'address for the IRC listeners', kind: { type: 'string' }, shown: 'same as --host' },
  { key: 'ircTlsPort', flag: 'irc-tls-port', arg: 'N|off', help: 'serve IRC over TLS on this port, e.g. 6697 (needs --tls-cert and --tls-key)', kind: { type: 'port-off' }, shown: 'off' },
  { key: 'serverName', flag: 'server-name', arg: 'NAME', help: 'the IRC server name every server line starts with', kind: { type: 'string' }, shown: `the host name, else ${DEFAULTS.serverName}` },
  { key: 'redis', flag: 'redis', arg: 'URL', help: 'join the cluster of nodes sharing this Redis (redis://[user:password@]host:port[/db], rediss:// for TLS; several seed URLs, comma-separated, with --redis-cluster); history and offline messages are kept there too', kind: { type: 'redis-urls' }, shown: 'none: a single server' },
  { key: 'redisCluster', flag: 'redis-cluster', arg: '', help: 'the --redis URLs are a Redis Cluster (sharded pub/sub, Redis 7)', kind: { type: 'bool' } },
  { key: 'nodeTimeoutMs', flag: 'node-timeout', arg: 'SECONDS', help: 'a node silent this long is declared dead and its users leave (renewals every third of it)', kind: { type: 'int', min: 1, max: 3600, scale: S }, shown: String(DEFAULTS.nodeTimeoutMs / S) },
  { key: 'nodeName', flag: 'node-name', arg: 'NAME', help: 'this node\'s name in /stats all and `chat-server cluster status`', kind: { type: 'string' }, shown: 'HOST:PORT' },
  { key: 'quiet', flag: 'quiet', arg: '', help: 'log only the start-up banner and errors', kind: { type: 'bool' } },
  { key: 'logFormat', flag: 'log-format', arg: 'FORMAT', help: 'text (the seed\'s [TAG] lines) or json (one object per line)', kind: { type: 'enum', values: ['text', 'json'] }, shown: 'text' },
  { key: 'logMessages', flag: 'log-messages', arg: 'on|off', help: 'log every chat message as [MESSAGE] (off for benchmarks)', kind: { type: 'onoff' }, shown: 'on' },
];

/** A DNS name as a Host header carries it (lower case, no port): labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** An IRC server name: it is the source of every server line, so no spaces, colons or controls. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

/** The machine's host name when it can be a server name, else DEFAULTS.serverName. */
function defaultServerName(): string {
  const name = hostname();
  return SERVER_NAME.test(name) ? name : DEFAULTS.serverName;
}

/**
 * A configuration the server cannot use. `exitCode`: 2 for a usage error (a bad option or value),
 * 1 for a config file that cannot be read (the file system's fault, like other start failures).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export function defaultConfig(): ServerConfig {
  return {
    host: DEFAULTS.host,
    port: DEFAULTS.port,
    users: undefined,
    auth: 'builtin',
    maxLine: DEFAULTS.maxLine,
    legacyQuietMs: DEFAULTS.legacyQuietMs,
    queueSize: DEFAULTS.queueSize,
    queueBytes: DEFAULTS.queueBytes,
    overflow: DEFAULTS.overflow,
    drainTimeoutMs: DEFAULTS.drainTimeoutMs,
    sendDelayMs: DEFAULTS.sendDelayMs,
    slow: new Map(),
    linkRate: DEFAULTS.linkRate,
    cc: DEFAULTS.cc,
    floodRate: DEFAULTS.floodRate,
    floodBurst: DEFAULTS.floodBurst,
    floodPolicy: DEFAULTS.floodPolicy,
    statsIntervalS: DEFAULTS.statsIntervalS,
    metricsPort: DEFAULTS.metricsPort,
    metricsHost: DEFAULTS.metricsHost,
    loginTimeoutMs: DEFAULTS.loginTimeoutMs,
    maxClients: DEFAULTS.maxClients,
    maxPerIp: DEFAULTS.maxPerIp,
    announceLimit: DEFAULTS.announceLimit,
    maxRoomsPerUser: DEFAULTS.maxRoomsPerUser,
    noticeDelayMs: DEFAULTS.noticeDelayMs,
    authFailures: DEFAULTS.authFailuresPerWindow,
    authWindowMs: DEFAULTS.authThrottleWindowMs,
    authBanMs: DEFAULTS.authThrottleBanMs,
    idleTimeoutMs: DEFAULTS.idleTimeoutMs,
    tlsPort: undefined,
    tlsHost: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    dataDir: undefined,
    history: DEFAULTS.historyPerRoom,
    offlineLimit: DEFAULTS.offlineLimit,
    retentionDays: DEFAULTS.retentionDays,
    replayOnJoin: 0,
    httpPort: DEFAULTS.httpPort,
    httpHost: undefined,
    httpsPort: null,
    httpOrigins: [],
    webHosts: [...DEFAULTS.webHosts],
    ircPort: DEFAULTS.ircPort,
    ircHost: undefined,
    ircTlsPort: null,
    serverName: defaultServerName(),
    redis: [],
    redisCluster: false,
    nodeTimeoutMs: DEFAULTS.nodeTimeoutMs,
    nodeName: undefined,
    quiet: false,
    logFormat: 'text',
    logMessages: true,
  };
}

const envName = (flag: string) => `CHAT_${flag.toUpperCase().replace(/-/g, '_')}`;

/** Parses one raw value for an option; `where` names the source for error messages. */
function parseValue(spec: OptionSpec, raw: unknown, where: string): unknown {
  const bad = (why: string) => new ConfigError(`${where}: ${why}`);
  const k = spec.kind;
  switch (k.type) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw bad('expects a non-empty string');
      return raw;
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw bad(`expects a whole number, got ${JSON.stringify(raw)}`);
      if (n < k.min || n > k.max) throw bad(`must be between ${k.min} and ${k.max}, got ${n}`);
      return n * (k.scale ?? 1);
    }
    case 'enum':
      if (typeof raw !== 'string' || !k.values.includes(raw)) throw bad(`must be one of ${k.values.join(', ')}, got ${JSON.stringify(raw)}`);
      return raw;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes' || raw === 'on') return true;
      if (raw === 'false' || raw === '0' || raw === 'no' || raw === 'off' || raw === '') return false;
      throw bad(`expects true or false, got ${JSON.stringify(raw)}`);
    case 'onoff':
      if (raw === true || raw === 'on' || raw === 'true') return true;
      if (raw === false || raw === 'off' || raw === 'false') return false;
      throw bad(`expects on or off, got ${JSON.stringify(raw)}`);
    case 'port-off': {
      if (raw === 'off' || raw === false || raw === null) return null;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw bad(`expects a port (0-65535) or off, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'origins': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
      return items.map((item) => {
        const o = typeof item === 'string' ? item.trim().replace(/\/$/, '') : '';
        if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(o)) throw bad(`expects origins like https://chat.example.com, got ${JSON.stringify(item)}`);
        return o.toLowerCase();
      });
    }
    case 'hosts': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
      return items.map((item) => {
        const name = typeof item === 'string' ? item.trim().toLowerCase().replace(/\.$/, '') : '';
        if (name !== '*' && !HOST_NAME.test(name)) throw bad(`expects host names like chat.example.com (no port), comma-separated, or *, got ${JSON.stringify(item)}`);
        return name;
      });
    }
    case 'redis-urls': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
      return items.map((item) => {
        const text = typeof item === 'string' ? item.trim() : '';
        let url: URL | undefined;
        try {
          url = new URL(text);
        } catch {
          url = undefined;
        }
        if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || !/^(\/\d{0,2})?$/.test(url.pathname)) throw bad(`expects redis://[user:password@]host:port[/db] or rediss://..., got ${JSON.stringify(item)}`);
        return text;
      });
    }
    case 'user-ms': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
      const out = new Map<string, number>();
      for (const item of items) {
        const m = typeof item === 'string' ? /^\s*([A-Za-z0-9_-]{1,32})=(\d{1,5})\s*$/.exec(item) : null;
        if (!m || Number(m[2]) > DEFAULTS.maxSendDelayMs) throw bad(`expects USER=MS with MS at most ${DEFAULTS.maxSendDelayMs} (e.g. user2=200), got ${JSON.stringify(item)}`);
        out.set(m[1]!, Number(m[2]));
      }
      return out;
    }
  }
}

function assign(cfg: ServerConfig, spec: OptionSpec, value: unknown): void {
  if (spec.kind.type === 'user-ms' && value instanceof Map) {
    for (const [u, ms] of value as Map<string, number>) cfg.slow.set(u, ms);
    return;
  }
  (cfg as unknown as Record<string, unknown>)[spec.key] = value;
}

const BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));
const BY_KEY = new Map(OPTIONS.map((o) => [o.key as string, o]));

export interface ParsedArgs {
  config: ServerConfig;
  /** The options set explicitly (file, env or command line), not left at their defaults. */
  explicit: ReadonlySet<keyof ServerConfig>;
  help: boolean;
  version: boolean;
  configFile: string | undefined;
}

/** Builds the configuration from argv, env and an optional config file. Throws ConfigError. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const cli: Array<[OptionSpec, unknown, string]> = [];
  let help = false;
  let version = false;
  let configFile = env['CHAT_CONFIG'] || undefined;
  let configFrom = 'CHAT_CONFIG';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (arg === '--version' || arg === '-v') { version = true; continue; }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const name = m[1]!;
    let value: string | undefined = m[2];
    if (name === 'config') {
      value ??= argv[++i];
      if (value === undefined) throw new ConfigError('--config needs a FILE');
      configFile = value;
      configFrom = '--config';
      continue;
    }
    const spec = BY_FLAG.get(name);
    if (!spec) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (spec.kind.type === 'bool' && value === undefined) { cli.push([spec, true, `--${name}`]); continue; }
    value ??= argv[++i];
    if (value === undefined) throw new ConfigError(`--${name} needs a value (${spec.arg})`);
    cli.push([spec, value, `--${name}`]);
  }

  const cfg = defaultConfig();
  const explicit = new Set<keyof ServerConfig>();
  if (configFile !== undefined) for (const key of applyFile(cfg, configFile, configFrom)) explicit.add(key);
  for (const spec of OPTIONS) {
    const raw = env[envName(spec.flag)];
    if (raw !== undefined && raw !== '') {
      assign(cfg, spec, parseValue(spec, raw, envName(spec.flag)));
      explicit.add(spec.key);
    }
  }
  // CLI last so it wins; a repeated --slow accumulates, any other repeated flag keeps the last value.
  for (const [spec, raw, where] of cli) {
    assign(cfg, spec, parseValue(spec, raw, where));
    explicit.add(spec.key);
  }

  if (cfg.users !== undefined && !cli.some(([s]) => s.key === 'auth') && env['CHAT_AUTH'] === undefined && cfg.auth === 'builtin') cfg.auth = 'file';
  if (cfg.auth === 'file' && cfg.users === undefined) throw new ConfigError('--auth file needs --users FILE');
  // --auth open with --users is mixed mode (names in the file need their password, others are guests).
  if (cfg.auth === 'builtin' && cfg.users !== undefined) throw new ConfigError('--users FILE needs --auth file or --auth open (builtin uses the demo accounts)');
  if (cfg.tlsPort !== undefined && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) throw new ConfigError('--tls-port needs --tls-cert and --tls-key');
  if (cfg.httpsPort !== null && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) throw new ConfigError('--https-port needs --tls-cert and --tls-key');
  if (cfg.ircTlsPort !== null && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) throw new ConfigError('--irc-tls-port needs --tls-cert and --tls-key');
  if (cfg.redisCluster && cfg.redis.length === 0) throw new ConfigError('--redis-cluster needs --redis URL');
  if (cfg.redis.length > 1 && !cfg.redisCluster) throw new ConfigError('several --redis URLs are the seeds of a Redis Cluster: add --redis-cluster');
  if (cfg.nodeName !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(cfg.nodeName)) throw new ConfigError(`--node-name expects 1-64 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(cfg.nodeName)}`);
  if (!SERVER_NAME.test(cfg.serverName)) throw new ConfigError(`--server-name expects a host name (letters, digits, . and -), got ${JSON.stringify(cfg.serverName)}`);
  return { config: cfg, explicit, help, version, configFile };
}

/** Applies a JSON config file (named by `from`: --config or CHAT_CONFIG); returns the keys it set. */
function applyFile(cfg: ServerConfig, file: string, from: string): Array<keyof ServerConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new ConfigError(`cannot read ${from} ${file}: ${fsReason(err)}`, 1);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err: unknown) {
    throw new ConfigError(`config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigError(`config file ${file}: expected a JSON object`);
  const set: Array<keyof ServerConfig> = [];
  for (const [key, raw] of Object.entries(data)) {
    const spec = BY_FLAG.get(key) ?? BY_KEY.get(key);
    if (!spec) throw new ConfigError(`config file ${file}: unknown option ${JSON.stringify(key)}`);
    // Seconds-valued options are written in seconds in the file too, like on the command line.
    assign(cfg, spec, parseValue(spec, typeof raw === 'number' || typeof raw === 'boolean' || Array.isArray(raw) ? raw : String(raw), `config file ${file}: ${key}`));
    set.push(spec.key);
  }
  return set;
}

export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const left = `  --${o.flag}${o.arg ? ` ${o.arg}` : ''}`;
    const right = `${o.help}${o.shown !== undefined ? ` [${o.shown}]` : ''}`;
    return [left, right, envName(o.flag)] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return [
    'Usage: chat-server [options]',
    '       chat-server users add|remove|list|passwd ... --users FILE',
    '       chat-server simulate [options]     (flow-control experiment with a chart)',
    '       chat-server bench SCENARIO [options]',
    '       chat-server history export|import --data-dir DIR   (backups of history and offline messages)',
    '       chat-server cluster status --redis URL   (the nodes of a cluster, their users and last renewal)',
    '',
    'A multi-user chat server speaking the seed\'s line protocol (see docs/PROTOCOL.md).',
    'Settings come from the command line, then CHAT_* environment variables, then',
    '--config FILE (JSON, keys as the long option names), then the defaults in [brackets].',
    '',
    'Options:',
    ...rows.map(([l, r, e]) => `${l.padEnd(width)}${r}  (${e})`),
    `  ${'--config FILE'.padEnd(width - 2)}read settings from a JSON file  (CHAT_CONFIG)`,
    `  ${'--help'.padEnd(width - 2)}show this help`,
    `  ${'--version'.padEnd(width - 2)}show the version`,
    '',
  ].join('\n');
}
