// Builds the browser page: type-checks src/web with its own tsconfig (DOM lib; the server's has
// none), bundles main.ts and style.css with esbuild into dist/web/assets with content-hashed names
// (so the server can cache them forever), and writes dist/web/index.html pointing at them.
// Nothing inline and nothing from a CDN: the server's Content-Security-Policy allows 'self' only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'web');
const out = join(root, 'dist', 'web');

// esbuild strips types without checking them; a type error must still fail the build.
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(src, 'tsconfig.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

// Old hashed files would pile up otherwise; index.html is written last, so it doubles as the stamp.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(src, 'main.ts'), join(src, 'style.css')],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  metafile: true,
  logLevel: 'warning',
});

const asset = (ext) => {
  const file = Object.keys(result.metafile.outputs).find((p) => p.endsWith(ext));
  if (!file) throw new Error(`esbuild wrote no ${ext} file`);
  return `/assets/${basename(file)}`;
};

// The template names the sources; the built page names the hashed bundles.
const template = readFileSync(join(src, 'index.html'), 'utf8');
const html = template.replace('href="./style.css"', `href="${asset('.css')}"`).replace('src="./main.ts"', `src="${asset('.js')}"`);
if (html.includes('./style.css') || html.includes('./main.ts')) throw new Error('src/web/index.html must reference ./style.css and ./main.ts exactly once');
writeFileSync(join(out, 'index.html'), html);
