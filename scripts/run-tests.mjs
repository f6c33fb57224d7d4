// Runs every compiled test under dist/test with node:test. Arguments narrow the run to
// folders or files under test/ (e.g. `npm test -- unit`), written with .ts or .js endings.
// The output is scripts/test-reporter.mjs's: a line per file, failures in full, the totals last
// (node's, then `N passed, N failed, N skipped`); `--tap` gives node's raw TAP instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = join(root, 'dist', 'test');

function collect(p, out) {
  if (!existsSync(p)) return out;
  if (p.endsWith('.test.js')) { out.push(p); return out; }
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    const child = join(p, entry.name);
    if (entry.isDirectory()) collect(child, out);
    else if (entry.name.endsWith('.test.js')) out.push(child);
  }
  return out;
}

const args = process.argv.slice(2);
const tap = args.includes('--tap');
const wanted = args.filter((a) => a !== '--tap').map((a) => a.replace(/^test\//, '').replace(/\.ts$/, '.js'));
const files = (wanted.length ? wanted : ['.']).flatMap((w) => collect(join(base, w), [])).sort();
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}
// A bound on the whole run, so a test that leaves something hanging fails CI instead of stalling it.
const LIMIT_MS = 12 * 60 * 1000;
// A bound per test file, also only to catch a hang: bench-smoke needs about a minute on an idle
// machine and took over 120 s with the suite run three times at once beside two CPU burners
// (npm run test:stress while other suites ran), so the bound is 5 minutes, well inside LIMIT_MS.
const FILE_LIMIT_MS = 5 * 60 * 1000;
const reporter = tap ? 'tap' : join(root, 'scripts', 'test-reporter.mjs');
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${FILE_LIMIT_MS}`, `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', ...files], { stdio: 'inherit', timeout: LIMIT_MS, killSignal: 'SIGKILL' });
if (res.error || res.status === null) {
  console.error(`Tests did not finish within ${LIMIT_MS / 60000} minutes (or were killed): ${res.error?.message ?? res.signal}`);
  process.exit(1);
}
process.exit(res.status);
