import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, helpText, ConfigError, OPTIONS } from '../../src/server/config.js';
import { DEFAULTS } from '../../src/core/limits.js';

const dir = mkdtempSync(join(tmpdir(), 'chat-config-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

test('defaults come from DEFAULTS', () => {
  const { config } = loadConfig([], {});
  assert.equal(config.host, DEFAULTS.host);
  assert.equal(config.port, 5693);
  assert.equal(config.queueSize, 10);
  assert.equal(config.maxLine, 4096);
  assert.equal(config.auth, 'builtin');
  assert.equal(config.drainTimeoutMs, 60_000);
});

test('precedence: CLI > env > file > defaults', () => {
  const cfg = file('a.json', JSON.stringify({ port: 1111, 'queue-size': 20, maxLine: 100, host: '0.0.0.0' }));
  const env = { CHAT_PORT: '2222', CHAT_QUEUE_SIZE: '30' };
  const { config } = loadConfig(['--config', cfg, '--port', '3333'], env);
  assert.equal(config.port, 3333, 'CLI wins');
  assert.equal(config.queueSize, 30, 'env beats file');
  assert.equal(config.maxLine, 100, 'file beats defaults');
  assert.equal(config.host, '0.0.0.0');
});

test('seconds options are scaled; --slow accumulates; --flag=value works', () => {
  const { config } = loadConfig(['--drain-timeout=5', '--slow', 'user2=200', '--slow', 'user3=50', '--quiet'], {});
  assert.equal(config.drainTimeoutMs, 5000);
  assert.deepEqual([...config.slow], [['user2', 200], ['user3', 50]]);
  assert.equal(config.quiet, true);
});

test('--users switches auth to file unless --auth says otherwise', () => {
  assert.equal(loadConfig(['--users', 'u.txt'], {}).config.auth, 'file');
  assert.equal(loadConfig(['--users', 'u.txt', '--auth', 'open'], {}).config.auth, 'open');
});

test('bad input gives a clear ConfigError naming its source', () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--port', 'abc'], {}, /--port: expects a whole number/],
    [['--port', '70000'], {}, /--port: must be between 0 and 65535/],
    [['--notice-delay', 'soon'], {}, /--notice-delay: expects a whole number/],
    [[], { CHAT_NOTICE_DELAY: '-1' }, /CHAT_NOTICE_DELAY: must be between 0 and 10000/],
    [['--overflow', 'sideways'], {}, /--overflow: must be one of drop-newest, drop-oldest, disconnect/],
    [['--nope'], {}, /unknown option --nope/],
    [['stray'], {}, /unexpected argument "stray"/],
    [['--port'], {}, /--port needs a value/],
    [[], { CHAT_QUEUE_SIZE: '-1' }, /CHAT_QUEUE_SIZE: must be between/],
    [['--config', join(dir, 'missing.json')], {}, /^cannot read --config .*missing\.json: no such file$/],
    [['--config', file('bad.json', '{nope')], {}, /config file .*bad\.json/],
    [['--config', file('arr.json', '[1]')], {}, /expected a JSON object/],
    [['--config', file('unk.json', '{"colour":"red"}')], {}, /unknown option "colour"/],
    [['--slow', 'user2'], {}, /--slow: expects USER=MS/],
    [['--auth', 'file'], {}, /--auth file needs --users FILE/],
    [['--tls-port', '7000'], {}, /--tls-port needs --tls-cert and --tls-key/],
    [['--users', 'u.txt', '--auth', 'builtin'], {}, /--users FILE needs --auth file or --auth open/],
    [['--max-rooms-per-user', '0'], {}, /--max-rooms-per-user: must be between 1 and 10000/],
    [['--max-rooms-per-user', '2x'], {}, /--max-rooms-per-user: expects a whole number/],
    [[], { CHAT_MAX_ROOMS_PER_USER: '\u0000' }, /CHAT_MAX_ROOMS_PER_USER: expects a whole number/],
  ];
  for (const [argv, env, re] of cases) {
    assert.throws(() => loadConfig(argv, env), (err: unknown) => err instanceof ConfigError && re.test(err.message), `${argv.join(' ')} ${JSON.stringify(env)}`);
  }
});

test('--help lists every option with its env name', () => {
  const help = helpText();
  for (const o of OPTIONS) {
    assert.ok(help.includes(`--${o.flag}`), o.flag);
    assert.ok(help.includes(`CHAT_${o.flag.toUpperCase().replace(/-/g, '_')}`), o.flag);
  }
});
