// Runs the test suite (or some files) several times with CPU burners beside it, the way a busy CI
// machine runs it, and reports every test that failed in any run. See --help.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runner = join(root, 'scripts', 'run-tests.mjs');

const HELP = `Usage: npm run test:stress -- [--runs N] [--burners K] [FILE_OR_FOLDER...]

Runs the test suite N times in a row, each time with K CPU-burning child processes beside it, to
find tests that depend on timing (a flaky test rejects good work at random). Files and folders
under test/ narrow the run, as with npm test (e.g. unit, integration/tls.test.ts); they may
also follow a literal --.

  --runs N      how many times to run the suite (default 5)
  --burners K   CPU burners beside each run (default 2; 0 for none)
  --help        this text

Each burner is a node process that spins until a deadline (twice the longest run so far plus a
minute, at most the runner's own 12-minute limit plus a minute) and is also killed when its run
ends, or when this script gets SIGINT or SIGTERM. For every run it prints one summary line, and for
each failed test its TAP report (the error and where); the full output of each run is kept in a log
file whose path is printed. Exit status: 0 when every run passed, 1 when any failed, 2 on bad usage.

Examples:
  npm run test:stress                                   # 5 runs of everything, 2 burners
  npm run test:stress -- --runs 10
  npm run test:stress -- --runs 20 --burners 3 unit/session-fuzz.test.ts
`;

function usage(message) {
  process.stderr.write(`test-stress: ${message}\nTry 'npm run test:stress -- --help'.\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { runs: 5, burners: 2, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      opts.files.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    const m = /^--(runs|burners)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[2] ?? argv[++i];
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < (m[1] === 'runs' ? 1 : 0)) usage(`--${m[1]} needs a whole number${m[1] === 'runs' ? ' of at least 1' : ''} (got ${JSON.stringify(value ?? '')})`);
      opts[m[1]] = n;
    } else if (arg.startsWith('-')) {
      usage(`unknown option ${arg}`);
    } else {
      opts.files.push(arg);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

// The runner kills a suite after 12 minutes; no burner needs to outlive that by more than a minute.
const RUNNER_LIMIT_MS = 12 * 60 * 1000;
const MARGIN_MS = 60 * 1000;
let longestRunMs = 0;

const burners = new Set();
let current; // the run in progress, a process group of its own

function startBurners() {
  const lifeMs = Math.min(RUNNER_LIMIT_MS, longestRunMs > 0 ? 2 * longestRunMs : RUNNER_LIMIT_MS) + MARGIN_MS;
  for (let i = 0; i < opts.burners; i++) {
    const p = spawn(process.execPath, ['-e', `const end = Date.now() + ${lifeMs}; while (Date.now() < end) {}`], { stdio: 'ignore' });
    burners.add(p);
    p.once('exit', () => burners.delete(p));
  }
}

function stopBurners() {
  for (const p of burners) p.kill('SIGKILL');
}

/** Runs the suite once; resolves with its exit code (or signal) and everything it printed. */
function runSuite() {
  return new Promise((resolve) => {
    // detached: the runner and its node --test child form one process group, so an interrupt can
    // stop both (the runner alone would leave its child running).
    // --tap: the failures below are read from node's raw TAP.
    const p = spawn(process.execPath, [runner, '--tap', ...opts.files], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    current = p;
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    p.once('close', (code, signal) => {
      current = undefined;
      resolve({ code, signal, out });
    });
  });
}

function onSignal(signal) {
  stopBurners();
  if (current?.pid !== undefined) {
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.stderr.write(`\ntest-stress: stopped by ${signal}\n`);
  process.exit(130);
}
process.once('SIGINT', () => onSignal('SIGINT'));
process.once('SIGTERM', () => onSignal('SIGTERM'));
process.once('exit', stopBurners);

/**
 * The failed tests in node:test's TAP output: each `not ok` line (at any depth) with its YAML block
 * (duration, location, error). A file that failed outside any test is reported under its path.
 */
function failures(tap) {
  const lines = tap.split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1];
    const block = [lines[i]];
    if (lines[i + 1] === `${indent}  ---`) {
      for (i++; i < lines.length; i++) {
        block.push(lines[i]);
        if (lines[i] === `${indent}  ...`) break;
      }
    }
    found.push({ name: m[2], report: block.join('\n') });
  }
  return found;
}

function count(tap, what) {
  return new RegExp(`^# ${what} (\\d+)$`, 'm').exec(tap)?.[1] ?? '?';
}

const logDir = mkdtempSync(join(tmpdir(), 'chat-test-stress-'));
const what = opts.files.length ? opts.files.join(' ') : 'the whole suite';
console.log(`test-stress: ${opts.runs} run(s) of ${what} with ${opts.burners} CPU burner(s) each; logs in ${logDir}`);

const results = [];
for (let run = 1; run <= opts.runs; run++) {
  startBurners();
  const started = Date.now();
  const { code, signal, out } = await runSuite();
  stopBurners();
  const ms = Date.now() - started;
  longestRunMs = Math.max(longestRunMs, ms);
  const log = join(logDir, `run-${run}.tap`);
  writeFileSync(log, out);

  const failed = failures(out);
  const ok = code === 0 && failed.length === 0;
  results.push({ run, ok, failed });
  const tally = `${count(out, 'pass')} passed, ${count(out, 'fail')} failed, ${count(out, 'skipped')} skipped`;
  console.log(`run ${run}/${opts.runs}: ${ok ? 'PASSED' : 'FAILED'} (${tally}) in ${(ms / 1000).toFixed(0)} s; log ${log}`);
  if (!ok) {
    // A node:test file that fails also gets a `not ok` of its own; list the tests inside it first.
    for (const f of failed) console.log(`  failed: ${f.name}\n${f.report.replace(/^/gm, '    ')}`);
    if (failed.length === 0) console.log(`  the runner exited with ${signal ?? code} and no failed test; its last lines:\n${out.split('\n').slice(-20).join('\n').replace(/^/gm, '    ')}`);
  }
}

const bad = results.filter((r) => !r.ok);
const names = new Map();
for (const r of bad) for (const f of r.failed) names.set(f.name, [...(names.get(f.name) ?? []), r.run]);
console.log(`\ntest-stress: ${results.length - bad.length} passed, ${bad.length} failed (of ${results.length} runs, ${opts.burners} burner(s) each)`);
for (const [name, runs] of names) console.log(`  ${name}: failed in run ${runs.join(', ')}`);
process.exit(bad.length ? 1 : 0);
