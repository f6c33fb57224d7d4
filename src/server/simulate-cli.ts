import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chartFormat, parseSimArgs, simHelp, commandLine, SimUsageError, type SimOptions } from '../sim/options.js';
import { runSimulation, type SimProgress } from '../sim/run.js';
import { renderHtml, renderSvg } from '../sim/chart.js';
import { summaryTable } from '../sim/summary.js';

function defaultTitle(o: SimOptions): string {
  return `Flow control: --overflow ${o.overflow}, --cc ${o.cc}, queue ${o.queueSize} messages`;
}

function progressLine(p: SimProgress): string {
  const t = Math.min(p.elapsedS, p.totalS).toFixed(1);
  return `\rsimulate: ${t}/${p.totalS} s  clients ${p.online}/${p.clients}  delivered ${p.delivered}  dropped ${p.dropped} `;
}

/**
 * Checks that --out can be written before the run, which takes --duration seconds and more, so a
 * typo in the path does not throw the whole run away at the end. Throws SimUsageError.
 */
function checkOutFile(file: string): void {
  const path = resolve(file);
  const dir = dirname(path);
  const where = `--out ${JSON.stringify(file)}`;
  let dirIsDir: boolean;
  try {
    dirIsDir = statSync(dir).isDirectory();
  } catch (err: unknown) {
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    throw new SimUsageError(`${where}: directory ${JSON.stringify(dir)} ${code === 'EACCES' ? 'is not accessible' : 'does not exist'}`);
  }
  if (!dirIsDir) throw new SimUsageError(`${where}: ${JSON.stringify(dir)} is not a directory`);
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing?.isDirectory() === true) throw new SimUsageError(`${where} is a directory`);
  try {
    accessSync(existing === undefined ? dir : path, constants.W_OK);
  } catch {
    throw new SimUsageError(existing === undefined ? `${where}: directory ${JSON.stringify(dir)} is not writable` : `${where} is not writable`);
  }
}

/**
 * `chat-server simulate`: runs the flow-control experiment (src/sim/run.ts), writes the chart and
 * prints the summary table. Returns the exit code: 0, 1 when the chart cannot be written, 2 for usage.
 */
export async function runSimulateCli(argv: string[]): Promise<number> {
  let o: SimOptions | null;
  try {
    o = parseSimArgs(argv);
    if (o !== null) checkOutFile(o.out);
  } catch (err: unknown) {
    if (!(err instanceof SimUsageError)) throw err;
    process.stderr.write(`chat-server simulate: ${err.message}\n`);
    return 2;
  }
  if (o === null) {
    process.stdout.write(simHelp());
    return 0;
  }
  const command = commandLine(o);
  const title = o.title ?? defaultTitle(o);
  const tty = process.stderr.isTTY === true;
  process.stdout.write(`${command}\n`);
  const result = await runSimulation(o, tty ? (p) => process.stderr.write(progressLine(p)) : undefined);
  if (tty) process.stderr.write('\n');
  const doc = chartFormat(o.out) === 'html' ? renderHtml(result, command, title) : renderSvg(result, command, title);
  try {
    writeFileSync(o.out, doc);
  } catch (err: unknown) {
    process.stderr.write(`chat-server simulate: cannot write ${o.out}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  process.stdout.write(`${summaryTable(result)}\n`);
  process.stdout.write(`${result.sent} messages sent by ${o.fast} fast clients in ${o.durationS} s; chart written to ${o.out}\n`);
  return 0;
}
