// The built page (dist/web, made by scripts/build-web.mjs via ensure-built before the tests) must
// work under the server's Content-Security-Policy ('self' only: no inline script, style or handler)
// and never turn user text into HTML or keep the password anywhere but in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('../../../dist/web/', import.meta.url));
const html = readFileSync(`${web}index.html`, 'utf8');

function asset(re: RegExp): string {
  const m = re.exec(html);
  assert.ok(m?.[1], `index.html does not reference ${re}`);
  assert.ok(existsSync(`${web}${m[1]}`), `${m[1]} is referenced but was not built`);
  return readFileSync(`${web}${m[1]}`, 'utf8');
}

test('index.html references the content-hashed bundles, which exist', () => {
  asset(/<script type="module" src="\/(assets\/main-[A-Z0-9]+\.js)"><\/script>/);
  asset(/<link rel="stylesheet" href="\/(assets\/style-[A-Z0-9]+\.css)">/);
});

test('index.html has nothing inline for the CSP to refuse, and nothing from elsewhere', () => {
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'inline <script>');
  assert.doesNotMatch(html, /<style\b/, 'inline <style>');
  assert.doesNotMatch(html, /\sstyle=/, 'style attribute');
  assert.doesNotMatch(html, /\son[a-z]+=/, 'inline event handler');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'a resource from another origin');
});

test('the page has the labels, landmarks and live log a user (and a screen reader) needs', () => {
  for (const label of ['Username', 'Password', 'Message']) assert.match(html, new RegExp(`<label for="[a-z-]+"[^>]*>${label}</label>`));
  assert.match(html, /<nav [^>]*aria-label="Rooms"/);
  assert.match(html, /<aside [^>]*aria-label="Members"/);
  assert.match(html, /<header\b/);
  assert.match(html, /<main\b/);
  const js = asset(/src="\/(assets\/main-[A-Z0-9]+\.js)"/);
  assert.match(js, /"role","log"/);
});

test('the bundle never parses user text as HTML, evaluates code or stores credentials', () => {
  const js = asset(/src="\/(assets\/main-[A-Z0-9]+\.js)"/);
  for (const banned of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'localStorage', 'sessionStorage', 'indexedDB']) {
    assert.ok(!js.includes(banned), `the bundle uses ${banned}`);
  }
  assert.match(js, /noopener noreferrer/);
});
