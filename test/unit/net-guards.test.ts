import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientsThatFit, descriptorWarning, openFileLimit } from '../../src/net/descriptors.js';
import { AcceptErrors } from '../../src/net/accept-errors.js';

// The pure parts of the accept-time guards: the descriptor budget and the rate-limited
// accept-error line.

test('open-file limit: the soft limit from /proc/self/limits; unlimited or unreadable is unknown', () => {
  const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             63432                63432                processes \nMax open files            ${soft}                 1048576              files     \n`;
  assert.equal(openFileLimit(() => limits('1024')), 1024);
  assert.equal(openFileLimit(() => limits('unlimited')), undefined);
  assert.equal(openFileLimit(() => 'nothing useful'), undefined);
  assert.equal(openFileLimit(() => { throw new Error('ENOENT'); }), undefined);
  if (process.platform === 'linux') assert.ok((openFileLimit() ?? 0) > 0, 'this process has a limit');
});

test('descriptor budget: --max-clients is capped to the limit minus the reserve (at least 1), and said in one line only when capped', () => {
  assert.equal(clientsThatFit(10_000, 1024, 100), 924);
  assert.equal(clientsThatFit(500, 1024, 100), 500);
  assert.equal(clientsThatFit(10_000, undefined, 100), 10_000);
  assert.equal(clientsThatFit(10_000, 50, 100), 1);
  assert.equal(descriptorWarning(500, 1024, 100), undefined);
  assert.equal(descriptorWarning(500, undefined, 100), undefined);
  assert.equal(
    descriptorWarning(10_000, 1024, 100),
    "--max-clients 10000 does not fit the open-file limit (ulimit -n 1024, of which 100 are kept for the server's own files and refusals): at most 924 connections at once; raise ulimit -n to 10100 to allow 10000",
  );
});

test('accept errors: the first is logged at once, then one line per interval counting the ones in between', () => {
  const lines: string[] = [];
  let now = 0;
  const errors = new AcceptErrors({ event() {}, message() {}, error: (tag, text) => lines.push(`[${tag}] ${text}`) }, 10_000, () => now);
  errors.note('accept failed on 127.0.0.1:5693: EMFILE');
  for (let i = 0; i < 500; i++) {
    now += 10;
    errors.note('accept failed on 127.0.0.1:5693: EMFILE');
  }
  assert.deepEqual(lines, ['[LISTEN] accept failed on 127.0.0.1:5693: EMFILE']);
  now = 10_000;
  errors.note('accept failed on 127.0.0.1:5693: ENFILE');
  assert.deepEqual(lines.slice(1), ['[LISTEN] accept failed on 127.0.0.1:5693: ENFILE (500 more since the last such line)']);
  now = 30_000;
  errors.note('out of file descriptors (EMFILE)');
  assert.equal(lines.at(-1), '[LISTEN] out of file descriptors (EMFILE)');
});
