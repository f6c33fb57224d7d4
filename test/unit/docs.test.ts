import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../../src/server/config.js';
import { CLOSE_REASONS } from '../../src/core/close-reasons.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

test('the README documents every server option and its environment variable', () => {
  for (const o of OPTIONS) {
    assert.ok(readme.includes(`\`--${o.flag}`), `--${o.flag} missing from README`);
    assert.ok(readme.includes(`CHAT_${o.flag.toUpperCase().replace(/-/g, '_')}`), `env of --${o.flag} missing from README`);
  }
});

test('the README lists every close reason', () => {
  for (const code of Object.keys(CLOSE_REASONS)) assert.ok(readme.includes(`\`${code}\``), `${code} missing from README`);
});

test('the README shows the two quick-start commands', () => {
  assert.match(readme, /^npm start\b/m);
  assert.match(readme, /^npm test\b/m);
});
