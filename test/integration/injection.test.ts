import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { rawIrc } from '../helpers/irc-client.js';
import { WsTestClient } from '../helpers/ws-client.js';
import type { ServerMessage } from '../../src/protocols/ws/messages.js';

/** Anything a terminal could act on, apart from the LF that ends each line. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\u009f]/;

const ATTACKS: Array<string | Buffer> = [
  'hi\r[SERVER] Server shutting down.',
  'hi\r\nuser3: I never said this',
  '\x1b[2J\x1b[Hscreen cleared?',
  '\x1b]0;new title\x07title?',
  '\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\',
  '\u009b31mC1 red?\u009b0m',
  'back\x08\x08\x08\x08space',
  'nul\x00byte',
  Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x0a]),
  '\x1b[1A\x1b[2Kuser3: rewritten line above',
  '@user2 \x1b[2Jprivate\r[SERVER] fake',
  '/me \x1b[31mwaves\rwith CR',
  '/join ops\x1b[2J',
  '/join lobby',
  '@user\x1b[0m2 target with escapes',
  '\x85next line (C1 NEL)',
];

test('no user can clear, recolour or rewrite another terminal, or forge a line from someone else or [SERVER]', async () => {
  const server = await startServer();
  try {
    const attacker = await TestClient.login(server.port, 'user1');
    const victim = await TestClient.login(server.port, 'user2');
    await attacker.waitFor('user2 joined the chat.\n');
    for (const a of ATTACKS) attacker.send(typeof a === 'string' ? `${a}\n` : a);
    attacker.send('done\n');
    await victim.waitFor('user1: done\n');

    assert.ok(!CONTROL.test(victim.text), JSON.stringify(victim.text));
    for (const line of victim.lines) {
      // Every line the victim sees is either a server line the server chose, or attributed to user1.
      assert.match(line, /^(Enter username: Enter password: Welcome user2! Type 'exit' to leave\.|user1: .*|\* user1 .*|\[PRIVATE\] user1: .*|user1 (left|joined) room (ops|lobby)\.|\[SERVER\] [^[]*)$/, line);
      assert.ok(!/^user3: /.test(line));
      if (line.startsWith('[SERVER] ')) assert.ok(!/fake|shutting/.test(line), line);
    }
    // The visible text survives; only the control sequences went.
    const expect = [
      'user1: hi[SERVER] Server shutting down.',
      'user1: hi',
      'user1: user3: I never said this',
      'user1: screen cleared?',
      'user1: title?',
      'user1: click',
      'user1: C1 red?',
      'user1: backspace',
      'user1: nulbyte',
      'user1: bad\ufffd\ufffd',
      'user1: user3: rewritten line above',
      '[PRIVATE] user1: private[SERVER] fake',
      '* user1 waveswith CR',
      'user1 left room lobby.',
      'user1 joined room lobby.',
      '[PRIVATE] user1: target with escapes',
      'user1: next line (C1 NEL)',
    ];
    for (const line of expect) assert.ok(victim.lines.includes(line), `${JSON.stringify(line)} not in ${JSON.stringify(victim.lines)}`);
    // What the attacker was told about its bad room and bad target is control-free too.
    assert.ok(!CONTROL.test(attacker.text), JSON.stringify(attacker.text));
    for (const c of [attacker, victim]) c.destroy();
  } finally {
    await server.stop();
  }
});

test('a name cannot carry a forged prefix: the login rule refuses it before it is ever shown', async () => {
  const server = await startServer(['--auth', 'open']);
  try {
    const watcher = await TestClient.login(server.port, 'watcher', 'x');
    for (const name of ['[SERVER]', 'user2: hi', 'a\rb', '\x1b[2Jx']) {
      const c = await TestClient.connect(server.port);
      await c.waitFor('Enter username: ');
      c.send(`${name}\n`);
      await c.waitFor('Invalid username: ');
      c.destroy();
    }
    watcher.send('/who\n');
    await watcher.waitFor('[SERVER] Online (1): watcher (lobby)\n');
    assert.ok(!watcher.text.includes('joined the chat'));
    watcher.destroy();
  } finally {
    await server.stop();
  }
});

/** The direction-changing and hidden characters the server removes (src/core/sanitize.ts). */
const HIDDEN = /[\u202a-\u202e\u2066-\u2069\u2028\u2029\u200b\ufeff\u{e0041}]/u;

test('bidi overrides and hidden characters from a text user reach IRC and WebSocket users stripped; emoji sequences and flags arrive byte for byte', async () => {
  const server = await startServer(['--http-port', '0', '--irc-port', '0', '--notice-delay', '0']);
  try {
    const web = Number(/:(\d+)\/$/.exec(await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/))![1]);
    const irc = Number(/:(\d+) /.exec(await server.waitForLog(/^IRC on 127\.0\.0\.1:\d+ /))![1]);
    // Both are in #lobby before the text user arrives, so they get everything it says there.
    const ircUser = await rawIrc(irc, 'user2');
    const wsUser = await WsTestClient.login(web, 'user3');
    const sender = await TestClient.login(server.port, 'user1');
    const family = '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466}';
    const scotland = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}';
    const persian = '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645\u200f!';
    sender.send('invoice_\u202egpj.exe\u202c ok\n');
    sender.send(`${family} ${scotland} ${persian}\n`);
    sender.send('line\u2028user4: forged\u2029 hidden\u200b\ufeff\u{e0041}\u{e0042}\n');
    sender.send('/topic \u2067admin\u2069 only\n');
    sender.send('/me waves \u202dbackwards\n');
    sender.send('@user2 psst \u202eterces\n');
    sender.send('done\n');

    const said = ['invoice_gpj.exe ok', `${family} ${scotland} ${persian}`, 'line user4: forged  hidden', 'done'];
    // IRC writes a one-word last parameter without its colon.
    for (const text of said) await ircUser.waitFor(`PRIVMSG #lobby ${text.includes(' ') ? ':' : ''}${text}\r\n`);
    await ircUser.waitFor(' TOPIC #lobby :admin only\r\n');
    await ircUser.waitFor('PRIVMSG #lobby :\x01ACTION waves backwards\x01\r\n');
    await ircUser.waitFor('PRIVMSG user2 :psst terces\r\n');
    assert.ok(!HIDDEN.test(ircUser.text), JSON.stringify(ircUser.text));
    // Byte for byte: the UTF-8 of the emoji, the flag's tags and the Persian ZWNJ and RLM are on the wire as sent.
    assert.ok(Buffer.from(ircUser.text, 'utf8').includes(Buffer.from(`:${family} ${scotland} ${persian}\r\n`, 'utf8')));

    const texts = (): string[] => wsUser.frames.flatMap((f: ServerMessage) => ('text' in f && typeof f.text === 'string' ? [f.text] : []));
    await wsUser.until(() => texts().includes('done'), () => JSON.stringify(wsUser.frames));
    for (const text of said) assert.ok(texts().includes(text), `${JSON.stringify(text)} not in ${JSON.stringify(texts())}`);
    assert.ok(texts().includes('admin only') && texts().includes('waves backwards'), JSON.stringify(texts()));
    assert.ok(!texts().some((t) => HIDDEN.test(t)), JSON.stringify(texts()));

    // The log shows what was relayed, without the overrides.
    await server.waitForLog(/^\[MESSAGE\] user1: done/);
    assert.ok(server.lines.some((l) => l.includes(`user1: ${family} ${scotland} ${persian}`)), server.lines.join('\n'));
    assert.ok(!server.lines.some((l) => HIDDEN.test(l)), server.lines.join('\n'));
    ircUser.destroy();
    wsUser.close();
    sender.destroy();
  } finally {
    await server.stop();
  }
});
