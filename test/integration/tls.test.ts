import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect, createServer as tcpServer } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { failedStart, startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { makeCert } from '../helpers/certs.js';

const cert = makeCert();
after(() => cert.remove());

async function startTlsServer(extra: string[] = []): Promise<ServerProc & { tlsPort: number }> {
  const server = await startServer(['--tls-port', '0', '--tls-cert', cert.cert, '--tls-key', cert.key, ...extra]);
  const banner = await server.waitForLog(/^TLS on 127\.0\.0\.1:\d+$/);
  return Object.assign(server, { tlsPort: Number(/:(\d+)$/.exec(banner)![1]) });
}

/** A TLS test client that trusts the test certificate. Rejects when the handshake fails. */
async function tlsClient(port: number, options: ConnectionOptions = {}): Promise<TestClient> {
  const socket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ca: [readFileSync(cert.cert)], ...options });
  await once(socket, 'secureConnect');
  return TestClient.wrap(socket);
}

async function tlsLogin(port: number, user: string): Promise<TestClient> {
  const c = await tlsClient(port);
  await c.waitFor('Enter username: ');
  c.send(`${user}\n`);
  await c.waitFor('Enter password: ');
  c.send(`${user}p\n`);
  await c.waitFor(`Welcome ${user}! Type 'exit' to leave.\n`);
  return c;
}

test('plain and TLS users share the same rooms', async () => {
  const server = await startTlsServer();
  try {
    const plain = await TestClient.login(server.port, 'user1');
    const secure = await tlsLogin(server.tlsPort, 'user2');
    await plain.waitFor('user2 joined the chat.\n');
    secure.send('hello over tls\n');
    await plain.waitFor('user2: hello over tls\n');
    plain.send('hello in clear\n');
    await secure.waitFor('user1: hello in clear\n');
    secure.send('/join ops\n');
    // Two sockets: the server may read them in either order. user2 must be in ops first to see user1 join.
    await secure.waitFor('[SERVER] You are now in room ops.\n');
    plain.send('/join ops\n');
    await secure.waitFor('user1 joined room ops.\n');
    plain.send('@user2 psst\n');
    await secure.waitFor('[PRIVATE] user1: psst\n');
    secure.send('/who\n');
    await secure.waitFor('[SERVER] Online (2): user1 (ops), user2 (ops)\n');
    secure.send('exit\n');
    await plain.waitFor('user2 left the chat.\n');
    plain.destroy();
  } finally {
    await server.stop();
  }
});

test('garbage, plain text, a half handshake and an untrusting client on the TLS port: logged briefly, never a crash', async () => {
  const server = await startTlsServer();
  try {
    const plain = await TestClient.login(server.port, 'user1');
    const junk = [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('user1\nuser1p\n'), Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0, 1, 2, 3]), Buffer.alloc(4096, 0xaa)];
    for (const bytes of junk) {
      const s = tcpConnect(server.tlsPort, '127.0.0.1');
      s.on('error', () => {});
      s.resume(); // read the server's alert, so its close is seen
      s.write(bytes);
      await once(s, 'close');
    }
    // The start of a real ClientHello, then the client vanishes.
    const half = tlsConnect({ port: server.tlsPort, host: '127.0.0.1', rejectUnauthorized: false });
    half.on('error', () => {});
    half.once('connect', () => half.destroy());
    await once(half, 'close');
    // A client that does not trust the certificate gives up during the handshake.
    await assert.rejects(tlsClient(server.tlsPort, { ca: [] }));

    await server.waitForLog(/^\[TLS ERROR\] handshake failed from \('127\.0\.0\.1', \d+\): \S+$/);
    // Still serving, on both ports.
    const secure = await tlsLogin(server.tlsPort, 'user2');
    secure.send('still up\n');
    await plain.waitFor('user2: still up\n');
    assert.equal(server.proc.exitCode, null);
    assert.ok(!server.lines.some((l) => /^\[ERROR\]|Error:|at .*\.js:\d+/.test(l)), server.lines.join('\n'));
    for (const c of [plain, secure]) c.destroy();
  } finally {
    await server.stop();
  }
});

test('over the connection limit, a TLS client gets the same one-line refusal, encrypted', async () => {
  const server = await startTlsServer(['--max-clients', '1']);
  try {
    const plain = await TestClient.login(server.port, 'user1');
    const over = await tlsClient(server.tlsPort);
    await over.waitClosed();
    assert.equal(over.text, '[SERVER] Server full, try again later. Connection closed.\n');
    plain.destroy();
  } finally {
    await server.stop();
  }
});

test('SIGTERM: TLS users get the shutdown notice too', async () => {
  const server = await startTlsServer();
  const secure = await tlsLogin(server.tlsPort, 'user2');
  assert.equal(await server.stop('SIGTERM'), 0);
  await secure.waitFor('[SERVER] Server shutting down.\n');
  await secure.waitClosed();
});

test('a bad certificate or key stops the server at start with one clear line and exit code 1', async () => {
  const garbage = join(cert.dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate\n');
  const other = makeCert('other');
  try {
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', join(cert.dir, 'missing.pem'), '--tls-key', cert.key], /^chat-server: cannot start: cannot read --tls-cert .*missing\.pem: no such file\n$/],
      [['--tls-cert', cert.cert, '--tls-key', join(cert.dir, 'missing.pem')], /^chat-server: cannot start: cannot read --tls-key .*missing\.pem: no such file\n$/],
      [['--tls-cert', garbage, '--tls-key', cert.key], /^chat-server: cannot start: --tls-cert .*garbage\.pem is not a PEM certificate \(.*\)\n$/],
      [['--tls-cert', cert.cert, '--tls-key', cert.cert], /^chat-server: cannot start: --tls-key .*cert\.pem is not a PEM private key \(or it is encrypted\) \(.*\)\n$/],
      [['--tls-cert', cert.cert, '--tls-key', other.key], /^chat-server: cannot start: --tls-key .* does not belong to the certificate in --tls-cert .*\n$/],
    ];
    for (const [args, want] of cases) {
      const { code, stderr } = await failedStart(['--tls-port', '0', ...args]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, want);
    }
    const usage = await failedStart(['--tls-port', '0']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--tls-port needs --tls-cert and --tls-key/);
  } finally {
    other.remove();
  }
});

test('a TLS port already in use stops the whole server (exit 1), not half of it', async () => {
  const busy = await startTlsServer();
  try {
    const { code, stderr } = await failedStart(['--tls-port', String(busy.tlsPort), '--tls-cert', cert.cert, '--tls-key', cert.key]);
    assert.equal(code, 1);
    assert.equal(stderr, `chat-server: cannot start: --tls-port ${busy.tlsPort} is in use; choose another with --tls-port\n`);
  } finally {
    await busy.stop();
  }
});

test('an IRC port given explicitly that cannot be bound stops the start (exit 1, one line)', async () => {
  const busy = tcpServer();
  await once(busy.listen(0, '127.0.0.1'), 'listening');
  try {
    const port = (busy.address() as { port: number }).port;
    const { code, stderr } = await failedStart(['--irc-port', String(port)]);
    assert.equal(code, 1);
    assert.equal(stderr, `chat-server: cannot start: --irc-port ${port} is in use; choose another with --irc-port\n`);
  } finally {
    busy.close();
  }
});
