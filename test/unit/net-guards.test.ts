import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostAllowed, webHosts } from '../../src/net/host-check.js';
import { clientsThatFit, descriptorWarning, openFileLimit } from '../../src/net/descriptors.js';
import { AcceptErrors } from '../../src/net/accept-errors.js';
import { loadConfig, ConfigError } from '../../src/server/config.js';

// The pure parts of the accept-time guards: the Host check, the descriptor budget, the
// rate-limited accept-error line, and the --web-hosts option.

test('Host check: IP literals, localhost and names under it, the server name and listed names; nothing else', () => {
  const hosts = webHosts('irc.example.net', ['chat.example.com']);
  const yes = ['127.0.0.1', '127.0.0.1:8080', '10.1.2.3:80', '[::1]', '[::1]:8080', '[2001:db8::1]:443', 'localhost', 'LOCALHOST:8080', 'localhost.', 'app.localhost:8080', 'irc.example.net', 'chat.example.com:8080', 'Chat.Example.Com', 'chat.example.com.:8080'];
  const no = [undefined, '', ' ', 'rebind.example:8080', 'sub.chat.example.com', 'example.com', 'chat.example.com.evil', 'localhost.evil.example', 'evil-localhost', '[::1', '[not-an-ip]:80', '::1', '127.0.0.1:port', 'chat.example.com:8080:1', 'a b'];
  for (const h of yes) assert.equal(hostAllowed(h, hosts), true, `${h} should be accepted`);
  for (const h of no) assert.equal(hostAllowed(h, hosts), false, `${String(h)} should be refused`);
  const any = webHosts('irc.example.net', ['*']);
  assert.equal(hostAllowed('rebind.example:8080', any), true);
  assert.equal(hostAllowed(undefined, any), true);
});

test('--web-hosts: names are lower-cased without a trailing dot; ports, schemes and junk are refused with the option named', () => {
  assert.deepEqual(loadConfig([], {}).config.webHosts, []);
  assert.deepEqual(loadConfig(['--web-hosts', 'Chat.Example.com, b.example.'], {}).config.webHosts, ['chat.example.com', 'b.example']);
  assert.deepEqual(loadConfig([], { CHAT_WEB_HOSTS: '*' }).config.webHosts, ['*']);
  for (const bad of ['chat.example.com:8080', 'https://chat.example.com', '', 'a..b', '-a.example', 'a_b.example']) {
    assert.throws(() => loadConfig(['--web-hosts', bad], {}), (err: unknown) => err instanceof ConfigError && /^--web-hosts: expects host names like chat\.example\.com/.test(err.message), bad);
  }
});

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
