import { createInterface } from 'node:readline';
import { DEFAULTS } from '../core/limits.js';
import { StoreError, type HistoryEntry, type OfflineEntry } from '../core/store.js';
import type { SqliteStore } from '../store/sqlite.js';
import { openSqliteStore } from './sqlite-loader.js';

const HELP = `Usage: chat-server history export --data-dir DIR [--room ROOM] [--since DATE]
       chat-server history import --data-dir DIR < FILE

Backs up and moves what a server keeps with --data-dir (run it while that server is stopped).
  export   writes every stored room line and offline message as JSON Lines to standard output:
           {"history":{"room","kind","from","text","at"}} and {"offline":{"to","from","text","at"}}
           (at: ms since the epoch, UTC); --room keeps one room's lines, --since DATE (an ISO date
           such as 2026-11-30 or 2026-11-30T12:00:00Z) only what is newer
  import   reads such lines from standard input and adds them (history is trimmed to --history
           per room as usual); a line that is not one of the two shapes stops the import

Exit status: 0 done, 1 the data directory cannot be used or a line is bad, 2 usage error.
`;

interface Args {
  command: 'export' | 'import';
  dataDir: string;
  room: string | undefined;
  since: number;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'export' && command !== 'import') throw new UsageError(command === undefined ? 'say export or import' : `unknown command ${JSON.stringify(command)}`);
  let dataDir: string | undefined;
  let room: string | undefined;
  let since = 0;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const value = rest[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--data-dir') dataDir = value;
    else if (flag === '--room' && command === 'export') room = value.replace(/^#/, '');
    else if (flag === '--since' && command === 'export') {
      since = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(value) ? Date.parse(value) : NaN;
      if (!Number.isFinite(since)) throw new UsageError(`--since expects a date such as 2026-11-30, got ${JSON.stringify(value)}`);
    } else throw new UsageError(`unknown option ${flag}`);
  }
  if (dataDir === undefined) throw new UsageError('--data-dir DIR is required');
  return { command, dataDir, room, since };
}

/** `chat-server history ...`. Returns the exit code. */
export async function runHistoryCli(argv: string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`chat-server history: ${err.message}\nTry 'chat-server history --help'.\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  let store: SqliteStore;
  try {
    store = await openSqliteStore(args.dataDir, { history: DEFAULTS.historyPerRoom, offline: Number.MAX_SAFE_INTEGER, retentionMs: Number.MAX_SAFE_INTEGER });
  } catch (err: unknown) {
    process.stderr.write(`chat-server history: ${err instanceof StoreError ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    return args.command === 'export' ? exportTo(store, args) : await importFrom(store);
  } finally {
    await store.close();
  }
}

function exportTo(store: SqliteStore, args: Args): number {
  // `history export | head`: a reader that stops early is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  for (const item of store.exportAll()) {
    const e = 'history' in item ? item.history : item.offline;
    if (e.at < args.since) continue;
    if (args.room !== undefined && !('history' in item && item.history.room === args.room)) continue;
    process.stdout.write(`${JSON.stringify(item)}\n`);
  }
  return 0;
}

async function importFrom(store: SqliteStore): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    const item = parseLine(line);
    if (item === undefined) {
      process.stderr.write(`chat-server history: line ${n} is not a history or offline entry; stopped (what came before it was imported)\n`);
      return 1;
    }
    if ('history' in item) store.append(item.history);
    else await store.storeOffline(item.offline);
  }
  return 0;
}

function parseLine(line: string): { history: HistoryEntry } | { offline: OfflineEntry } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const r = data as Record<string, Record<string, unknown> | undefined>;
  const str = (o: Record<string, unknown>, k: string) => typeof o[k] === 'string';
  const h = r['history'];
  if (h !== undefined && typeof h === 'object' && str(h, 'room') && str(h, 'from') && str(h, 'text') && typeof h['at'] === 'number' && ['message', 'action', 'topic'].includes(String(h['kind']))) {
    return { history: { room: String(h['room']), kind: h['kind'] as HistoryEntry['kind'], from: String(h['from']), text: String(h['text']), at: Number(h['at']) } };
  }
  const o = r['offline'];
  if (o !== undefined && typeof o === 'object' && str(o, 'to') && str(o, 'from') && str(o, 'text') && typeof o['at'] === 'number') {
    return { offline: { to: String(o['to']), from: String(o['from']), text: String(o['text']), at: Number(o['at']) } };
  }
  return undefined;
}
