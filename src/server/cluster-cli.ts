import { DEFAULTS } from '../core/limits.js';
import type { NodeLease } from '../cluster/backend.js';

const HELP = `Usage: chat-server cluster status --redis URL [--redis-cluster] [--json]

Lists the nodes of the chat cluster that share this Redis (the servers started with the same
--redis): each node's id, name, users online, connections, process id, and how long ago it last
renewed its lease. A node that stops renewing for --node-timeout is declared dead by the others.
  --redis URL        redis://[user:password@]host:port[/db] or rediss://... (several, comma-separated,
                     with --redis-cluster: the seeds of a Redis Cluster)
  --redis-cluster    the URLs are a Redis Cluster
  --node-timeout S   the nodes' --node-timeout, to show the age of each renewal [${DEFAULTS.nodeTimeoutMs / 1000}]
  --json             one JSON object per node instead of the table

Exit status: 0 done (also with no nodes), 1 Redis cannot be reached, 2 usage error.
`;

class UsageError extends Error {}

interface Args {
  urls: string[];
  cluster: boolean;
  json: boolean;
  timeoutMs: number;
}

function parseArgs(argv: readonly string[]): Args | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'status') throw new UsageError(command === undefined ? 'say status' : `unknown command ${JSON.stringify(command)}`);
  const args: Args = { urls: [], cluster: false, json: false, timeoutMs: DEFAULTS.nodeTimeoutMs };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (flag === '--redis-cluster') args.cluster = true;
    else if (flag === '--json') args.json = true;
    else if (flag === '--redis' || flag === '--node-timeout') {
      const value = rest[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      if (flag === '--redis') args.urls.push(...value.split(',').map((u) => u.trim()));
      else if (/^\d{1,4}$/.test(value) && Number(value) > 0) args.timeoutMs = Number(value) * 1000;
      else throw new UsageError(`--node-timeout expects seconds (1-9999), got ${JSON.stringify(value)}`);
    } else throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
  }
  if (args.urls.length === 0) throw new UsageError('--redis URL is required');
  for (const u of args.urls) if (!/^rediss?:\/\/[^\s]+$/.test(u)) throw new UsageError(`--redis expects redis://host:port, got ${JSON.stringify(u)}`);
  return args;
}

interface Row {
  node: string;
  name: string;
  users: number | undefined;
  connections: number | undefined;
  pid: number | undefined;
  renewedSAgo: number;
}

function row(lease: NodeLease, timeoutMs: number): Row {
  let info: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(lease.info);
    if (typeof parsed === 'object' && parsed !== null) info = parsed as Record<string, unknown>;
  } catch {
    // A lease whose info is not JSON is still a live node: shown with what is known.
  }
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    node: lease.node,
    name: typeof info.name === 'string' ? info.name : '?',
    users: num(info.users),
    connections: num(info.connections),
    pid: num(info.pid),
    renewedSAgo: Math.max(0, Math.round((timeoutMs - lease.ttlMs) / 100) / 10),
  };
}

export async function runClusterCli(argv: string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`chat-server cluster: ${err.message}\n\n${HELP}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const { RedisBackend } = await import('../cluster/redis.js');
  let backend;
  try {
    backend = await RedisBackend.connect(args.urls, { cluster: args.cluster, commandTimeoutMs: DEFAULTS.redisCommandTimeoutMs });
  } catch (err: unknown) {
    process.stderr.write(`chat-server cluster: cannot reach Redis: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    const timeoutMs = args.timeoutMs;
    const rows = (await backend.nodes()).map((l) => row(l, timeoutMs)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (args.json) {
      for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const total = rows.reduce((a, r) => a + (r.users ?? 0), 0);
    process.stdout.write(`${rows.length} node${rows.length === 1 ? '' : 's'} alive, ${total} users online\n`);
    if (rows.length === 0) return 0;
    const table = [['node', 'name', 'users', 'connections', 'pid', 'renewed'], ...rows.map((r) => [r.node, r.name, show(r.users), show(r.connections), show(r.pid), `${r.renewedSAgo} s ago`])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
    for (const t of table) process.stdout.write(`${t.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
    return 0;
  } catch (err: unknown) {
    process.stderr.write(`chat-server cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await backend.close();
  }
}

function show(n: number | undefined): string {
  return n === undefined ? '?' : String(n);
}
