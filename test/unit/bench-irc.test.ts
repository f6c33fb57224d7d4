import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { IrcLink } from '../../src/bench/irc-link.js';
import { inspircdConfig, ngircdConfig } from '../../src/bench/irc-daemons.js';
import { formatPayload, ircCommandStart, ircPrivmsgText, parsePayload, type PayloadFields } from '../../src/bench/payload.js';
import { UsageError, parseOptions } from '../../src/bench/options.js';

/**
 * The bench's IRC client: payloads found in PRIVMSG lines straight from the bytes, registration
 * and JOIN against a scripted server, PING answered before and after, and the option rules of
 * --proto irc and the IRC targets.
 */

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function text(line: string): string | null {
  const buf = b(line);
  const p = ircPrivmsgText(buf, 0, buf.length);
  return p < 0 ? null : buf.toString('latin1', p);
}

test('ircPrivmsgText finds the text of PRIVMSG lines with or without prefix and tags, and nothing else', () => {
  assert.equal(text(':user1!user1@chatd PRIVMSG #bench :b 1 2 3 4\r'), 'b 1 2 3 4\r');
  assert.equal(text('@time=2026-11-30T00:00:00Z :u!u@h PRIVMSG #bench :hi there'), 'hi there');
  assert.equal(text('PRIVMSG #bench :x'), 'x');
  assert.equal(text(':u!u@h NOTICE #bench :b 1 2 3 4'), null);
  assert.equal(text(':u!u@h PRIVMSG #bench b'), null, 'no trailing parameter');
  assert.equal(text(':u!u@h PRIVMSGX #bench :b'), null);
  assert.equal(text(':u!u@h PRIVMSG #bench :'), null, 'an empty text is no payload');
  assert.equal(text(':only-a-prefix'), null);
  assert.equal(text(''), null);
  const buf = b(':s 001 nick :Welcome');
  assert.equal(buf.toString('latin1', ircCommandStart(buf, 0, buf.length)), '001 nick :Welcome');
});

test('a payload in a PRIVMSG parses in place, its CR included, and the scan stops at the line end', () => {
  const payload = formatPayload(3, 17, 42, 123456789);
  const buf = b(`:user18!user18@chatd PRIVMSG #bench :${payload}\r\nPRIVMSG #bench :tail`);
  const end = buf.indexOf(0x0a);
  const f: PayloadFields = { phase: 0, sender: 0, seq: 0, micros: 0, recvMicros: 0 };
  const p = ircPrivmsgText(buf, 0, end);
  assert.ok(parsePayload(buf, p, end, f));
  assert.deepEqual([f.phase, f.sender, f.seq, f.micros], [3, 17, 42, 123456789]);
  const cut = b(':u!u@h PRIVMSG #bench :b 1 2 3 4');
  assert.equal(ircPrivmsgText(cut, 0, 14), -1, 'a range ending inside the command is not searched beyond its end');
});

/** A scripted IRC server: records every line the client sends, lets the test answer. */
async function scriptedServer(): Promise<{ port: number; lines: string[]; peer: Promise<Socket>; close: () => Promise<void> }> {
  const lines: string[] = [];
  let resolvePeer: (s: Socket) => void = () => {};
  const peer = new Promise<Socket>((r) => { resolvePeer = r; });
  const srv = createServer((s) => {
    let acc = '';
    s.on('data', (d: Buffer) => {
      acc += d.toString('latin1');
      let i: number;
      while ((i = acc.indexOf('\r\n')) >= 0) { lines.push(acc.slice(0, i)); acc = acc.slice(i + 2); }
    });
    resolvePeer(s);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const a = srv.address();
  if (a === null || typeof a !== 'object') throw new Error('no address');
  return { port: a.port, lines, peer, close: () => new Promise((r) => srv.close(() => r())) };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

test('IrcLink registers, joins after 001, is ready at its channel 366, answers PING and reads PRIVMSGs across reads', async () => {
  const srv = await scriptedServer();
  const sock = connect({ host: '127.0.0.1', port: srv.port });
  const events: string[] = [];
  const seen = (): readonly string[] => events;
  const link = new IrcLink(sock, { nick: 'user1', password: 'user1p', channel: '#bench' }, {
    ready: () => events.push('ready'),
    message: (buf, s, e) => events.push(`msg:${buf.toString('latin1', s, e)}`),
    other: () => events.push('other'),
    failed: (why) => events.push(`failed:${why}`),
  });
  sock.on('data', (d: Buffer) => link.feed(d, 0, d.length));
  try {
    const peer = await srv.peer;
    await until(() => srv.lines.length >= 3, 'PASS, NICK and USER arrive');
    assert.deepEqual(srv.lines.slice(0, 3), ['PASS user1p', 'NICK user1', 'USER user1 0 * :user1']);
    peer.write('PING :early\r\n:srv NOTICE * :hello\r\n:srv 001 user1 :Welcome\r\n:srv 422 user1 :MOTD File is missing\r\n');
    await until(() => srv.lines.includes('JOIN #bench'), 'JOIN after 001');
    assert.ok(srv.lines.includes('PONG :early'), 'PING during registration answered');
    peer.write(':user1!u@h JOIN #lobby\r\n:srv 366 user1 #lobby :End\r\n');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen(), [], 'another channel\'s 366 is not the ready signal');
    peer.write(':srv 366 user1 #Bench :End of /NAMES list.\r\n:u2!u@h PRIVMSG #bench :b 1 2 3');
    await until(() => events.includes('ready'), 'ready at the 366 of #bench (case-insensitive)');
    peer.write(' 4\r\n:srv PING :late\r\nPING :later\r\n:u3!u@h JOIN #bench\r\n');
    await until(() => events.length >= 3 && srv.lines.includes('PONG :later'), 'the rest arrives');
    assert.deepEqual(seen(), ['ready', 'msg:b 1 2 3 4\r', 'other']);
    assert.ok(srv.lines.includes('PONG :late'), 'a PING with a prefix is answered too');
    link.send('b 1 0 0 5');
    link.quit();
    await until(() => srv.lines.includes('QUIT'), 'QUIT arrives');
    assert.ok(srv.lines.includes('PRIVMSG #bench :b 1 0 0 5'));
  } finally {
    sock.destroy();
    await srv.close();
  }
});

test('IrcLink without a password sends no PASS, and a refusal (433, ERROR) fails the login', async () => {
  for (const refusal of [':srv 433 * user2 :Nickname already in use', 'ERROR :Closing link: Invalid credentials']) {
    const srv = await scriptedServer();
    const sock = connect({ host: '127.0.0.1', port: srv.port });
    const failures: string[] = [];
    const link = new IrcLink(sock, { nick: 'user2', password: null, channel: '#bench' }, {
      ready: () => assert.fail('not ready'), message: () => {}, other: () => {}, failed: (why) => failures.push(why),
    });
    sock.on('data', (d: Buffer) => link.feed(d, 0, d.length));
    try {
      const peer = await srv.peer;
      await until(() => srv.lines.length >= 2, 'NICK and USER arrive');
      assert.deepEqual(srv.lines.slice(0, 2), ['NICK user2', 'USER user2 0 * :user2']);
      peer.write(`${refusal}\r\n`);
      await until(() => failures.length === 1, 'the refusal fails the login');
      assert.equal(failures[0], refusal);
    } finally {
      sock.destroy();
      await srv.close();
    }
  }
});

test('the daemon configs listen on the given port on 127.0.0.1 with clone and flood limits off', () => {
  const ng = ngircdConfig(16667);
  for (const line of ['Listen = 127.0.0.1', 'Ports = 16667', 'MaxConnectionsIP = 0', 'MaxPenaltyTime = 0', 'DNS = no', 'Ident = no']) {
    assert.ok(ng.includes(line), line);
  }
  const insp = inspircdConfig(16668, '/tmp/x', 20_000);
  for (const frag of ['<bind address="127.0.0.1" port="16668"', 'localmax="20100"', 'globalmax="20100"', 'fakelag="off"', 'resolvehostnames="no"', 'useident="no"']) {
    assert.ok(insp.includes(frag), frag);
  }
});

test('--proto irc and the IRC targets: what goes together and what is a usage error', () => {
  assert.equal(parseOptions('room', ['--proto', 'irc']).proto, 'irc');
  assert.deepEqual(parseOptions('room', ['--proto', 'irc', '--target', 'chat', '--target', 'ngircd', '--target', 'inspircd']).targets, ['chat', 'ngircd', 'inspircd']);
  assert.deepEqual(parseOptions('room', ['--protos', 'text,irc']).protos, ['text', 'irc']);
  parseOptions('room', ['--target', 'irc://127.0.0.1:6667']);
  parseOptions('room', ['--target', 'chat', '--target', 'ngircd']);
  const bad: string[][] = [
    ['--proto', 'irc', '--target', 'redis'],
    ['--proto', 'irc', '--target', 'reference'],
    ['--proto', 'irc', '--target', 'tcp://127.0.0.1:5693'],
    ['--proto', 'irc', '--target', 'ws://127.0.0.1:1/ws'],
    ['--proto', 'text', '--target', 'ngircd'],
    ['--proto', 'ws', '--target', 'inspircd'],
    ['--protos', 'text,irc', '--target', 'irc://127.0.0.1:6667'],
    ['--protos', 'irc,redis'],
    ['--proto', 'IRC'],
  ];
  for (const args of bad) assert.throws(() => parseOptions('room', args), UsageError, args.join(' '));
});
