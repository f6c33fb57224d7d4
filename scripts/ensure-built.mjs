// Makes `npm start`, `npm test` and friends work as the first command on a fresh clone:
// installs dependencies when node_modules is missing or older than package-lock.json (showing
// progress, and going on without better-sqlite3 where it cannot be built), and
// compiles TypeScript when any source is newer than the last build, and builds the browser page
// (scripts/build-web.mjs) when anything under src/web, or the protocol it imports, is newer than
// dist/web. Quiet when nothing to do.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

// `skip`: a folder tsc does not compile (src/web has its own build); its files must not make
// tsc run, since tsc would then find nothing to do, leave its stamp old and run every time.
function newestIn(dir, test = (name) => name.endsWith('.ts'), skip = '') {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = p === skip ? newest : Math.max(newest, newestIn(p, test, skip));
    else if (test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || mtime(join(root, 'package-lock.json')) > mtime(marker)) await install();

/**
 * `npm ci`, saying what it does while it runs: the first install takes up to a minute, most of it
 * better-sqlite3 (for --data-dir), which npm downloads prebuilt or compiles. It is an optional
 * dependency, so where it cannot be built npm leaves it out and the install still succeeds; this
 * then says so once, with what --data-dir needs.
 */
async function install() {
  process.stderr.write('Installing dependencies (npm ci): up to a minute the first time, mostly better-sqlite3 (for --data-dir), downloaded prebuilt or compiled...\n');
  const started = Date.now();
  const ticker = setInterval(() => process.stderr.write(`  still installing (${Math.round((Date.now() - started) / 1000)} s)\n`), 10_000);
  const child = spawn(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const [code, signal] = await once(child, 'exit');
  clearInterval(ticker);
  if (code !== 0) {
    process.stderr.write(`npm ci failed (${signal ?? `exit ${code}`}); see its messages above.\n`);
    process.exit(1);
  }
  process.stderr.write(`Installed in ${Math.round((Date.now() - started) / 1000)} s.\n`);
  if (!existsSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'))) {
    process.stderr.write(
      'better-sqlite3 could not be installed (no prebuilt binary could be fetched, and compiling it failed): the server runs with history in memory, and --data-dir is unavailable. ' +
        'For --data-dir: install a C++ toolchain (Debian/Ubuntu: apt-get install build-essential python3) and run npm ci.\n',
    );
  }
}

const stamp = join(root, 'dist', '.tsbuildinfo');
const web = join(root, 'src', 'web');
const sources = Math.max(newestIn(join(root, 'src'), undefined, web), newestIn(join(root, 'test')), mtime(join(root, 'tsconfig.json')));
if (sources > mtime(stamp)) {
  process.stderr.write('Building (tsc)...\n');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

// Every file of the page counts (html, css, its tsconfig), not only .ts.
const page = join(root, 'dist', 'web', 'index.html');
const pageSources = Math.max(newestIn(web, () => true), mtime(join(root, 'src', 'protocols', 'ws', 'messages.ts')), mtime(join(root, 'scripts', 'build-web.mjs')));
if (pageSources > mtime(page)) {
  process.stderr.write('Building the web page (esbuild)...\n');
  execFileSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
