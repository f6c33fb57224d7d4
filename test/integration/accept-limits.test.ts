import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { startServer, type ServerProc, type StartOptions } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { WsTestClient } from '../helpers/ws-client.js';
import { makeCert } from '../helpers/certs.js';
import { waitUntil } from '../helpers/wait.js';

// Every socket costs its --max-clients / --max-per-ip slot from accept, on every port, before any
// protocol runs: plain HTTP sockets (unfinished headers, kept alive), TLS sockets before their
// handshake, and an upgraded WebSocket keeps the one slot it had.

const FULL = '[SERVER] Server full, try again later. Connection closed.\n';
const PER_IP = '[SERVER] Too many connections from your address. Connection closed.\n';
const HTTP_503 = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 24\r\nRetry-After: 10\r\nConnection: close\r\n\r\n503 Service Unavailable\n';

const cert = makeCert();
after(() => cert.remove());

async function portOf(server: ServerProc, banner: RegExp): Promise<number> {
  return Number(/:(\d+)\/?$/.exec(await server.waitForLog(banner))![1]);
}

/**
 * Sockets a test opened, destroyed before its server is stopped: a failing test must not leave
 * sockets that keep the server from exiting.
 */
class Sockets {
  private readonly all: Array<() => void> = [];
  async text(port: number, localAddress?: string): Promise<TestClient> {
    const c = await TestClient.connect(port, '127.0.0.1', localAddress);
    this.all.push(() => c.destroy());
    return c;
  }
  /** A raw socket that stays open after the server ends its side. */
  async halfOpen(port: number): Promise<void> {
    const socket = tcpConnect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    this.all.push(() => socket.destroy());
    await Promise.race([once(socket, 'connect'), once(socket, 'close')]);
  }
  async unfinished(port: number): Promise<TestClient> {
    const c = await this.text(port);
    c.send('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    return c;
  }
  async ws(port: number, user?: string): Promise<WsTestClient> {
    const c = user === undefined ? await WsTestClient.open(port) : await WsTestClient.login(port, user);
    this.all.push(() => c.ws.terminate());
    return c;
  }
  destroyAll(): void {
    for (const destroy of this.all) destroy();
  }
}

/** Runs `body` against a fresh server; its sockets are destroyed, then the server stopped, whatever happens. */
async function withServer(args: string[], body: (server: ServerProc, s: Sockets) => Promise<void>, opts: StartOptions = {}): Promise<void> {
  const server = await startServer(args, {}, opts);
  const s = new Sockets();
  try {
    await body(server, s);
  } finally {
    s.destroyAll();
    await server.stop();
  }
}

/**
 * Waits for a [STATS] line (--stats-interval 1) printed from now on that counts `n` connections:
 * the server's own count of the sockets holding a slot.
 */
async function statsSay(server: ServerProc, n: number): Promise<void> {
  const from = server.lines.length;
  const line = `[STATS] ${n} connections,`;
  await waitUntil(() => server.lines.slice(from).some((l) => l.startsWith(line)), () => `no "${line}" in:\n${server.lines.slice(from).join('\n')}`);
}

test('--max-per-ip: sockets with unfinished headers hold their slots; the next one from that address gets a 503 at accept, on the text port a refusal; another address still gets in', async (t) => {
  await withServer(['--http-port', '0', '--max-per-ip', '3'], async (server, s) => {
    const web = await portOf(server, /^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
    for (let i = 0; i < 3; i++) await s.unfinished(web);
    const over = await s.text(web);
    await over.waitClosed();
    assert.equal(over.text, HTTP_503);
    await server.waitForLog(/^\[REFUSED\] 127\.0\.0\.1 \(TOO_MANY_FROM_IP\)$/);
    // One rule for every listener: the same address is full on the text port too.
    const text = await s.text(server.port);
    await text.waitClosed();
    assert.equal(text.text, PER_IP);
    let other: TestClient;
    try {
      other = await s.text(web, '127.0.0.2');
    } catch {
      t.diagnostic('cannot bind 127.0.0.2 here: the other-address half is skipped');
      return;
    }
    other.send('GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await other.waitClosed();
    assert.match(other.text, /^HTTP\/1\.1 404 Not Found\r\n/);
  });
});

test('--max-clients counts HTTP sockets (silent, unfinished, kept alive): a text user is refused in words while they hold the slots, and gets in once they close', async () => {
  await withServer(['--http-port', '0', '--max-clients', '3'], async (server, s) => {
    const web = await portOf(server, /^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
    const silent = await s.text(web);
    const unfinished = await s.unfinished(web);
    const keptAlive = await s.text(web);
    keptAlive.send('GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await keptAlive.waitFor('404 Not Found\n');
    const refused = await s.text(server.port);
    await refused.waitClosed();
    assert.equal(refused.text, FULL);
    await server.waitForLog(/^\[REFUSED\] 127\.0\.0\.1 \(SERVER_FULL\)$/);

    for (const c of [silent, unfinished, keptAlive]) c.destroy();
    // The server sees the closes asynchronously: retry until a slot is free.
    for (;;) {
      const next = await s.text(server.port);
      await next.waitFor(/Enter username: |Connection closed/);
      if (next.text === 'Enter username: ') break;
      assert.equal(next.text, FULL);
    }
  });
});

test('an upgraded WebSocket keeps the one slot its socket had: counted once, released once', async () => {
  await withServer(['--http-port', '0', '--max-clients', '3', '--stats-interval', '1'], async (server, s) => {
    const web = await portOf(server, /^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
    const a = await s.ws(web, 'user1');
    const b = await s.ws(web);
    await statsSay(server, 2);
    const unfinished = await s.unfinished(web);
    await statsSay(server, 3);
    await assert.rejects(s.ws(web), /HTTP 503/);
    const text = await s.text(server.port);
    await text.waitClosed();
    assert.equal(text.text, FULL);

    a.close();
    b.close();
    unfinished.destroy();
    await statsSay(server, 0);
    // Released exactly once: three new sockets fit again, and a fourth does not.
    for (let i = 0; i < 3; i++) await s.ws(web);
    await assert.rejects(s.ws(web), /HTTP 503/);
    await statsSay(server, 3);
  });
});

test('TLS sockets hold their slot from accept, before their handshake; a refused TLS client still gets the refusal, encrypted', async () => {
  await withServer(['--tls-port', '0', '--tls-cert', cert.cert, '--tls-key', cert.key, '--max-per-ip', '2', '--stats-interval', '1'], async (server, s) => {
    const tlsPort = Number(/:(\d+)$/.exec(await server.waitForLog(/^TLS on 127\.0\.0\.1:\d+$/))![1]);
    // Two peers that connect to the TLS port and never say a word of TLS.
    await s.text(tlsPort);
    await s.text(tlsPort);
    // Accepts on different ports have no order: the text client comes once both are counted.
    await statsSay(server, 2);
    const text = await s.text(server.port);
    await text.waitClosed();
    assert.equal(text.text, PER_IP);
    const socket = tlsConnect({ port: tlsPort, host: '127.0.0.1', servername: 'localhost', ca: [readFileSync(cert.cert)] });
    await once(socket, 'secureConnect');
    const over = TestClient.wrap(socket);
    await over.waitClosed();
    assert.equal(over.text, PER_IP);
  });
});

test('a --max-clients that does not fit the open-file limit is said at start and capped, so the server refuses in words instead of running out of descriptors', { skip: process.platform !== 'linux' && 'reads /proc/self/limits' }, async () => {
  await withServer(['--max-clients', '1000'], async (server, s) => {
    const line = await server.waitForLog(/^\[LIMITS\] /);
    assert.equal(line, "[LIMITS] --max-clients 1000 does not fit the open-file limit (ulimit -n 150, of which 100 are kept for the server's own files and refusals): at most 50 connections at once; raise ulimit -n to 1100 to allow 1000");
    for (let i = 0; i < 50; i++) await (await s.text(server.port)).waitFor('Enter username: ');
    const over = await s.text(server.port);
    await over.waitClosed();
    assert.equal(over.text, FULL);
  }, { fileLimit: 150 });
});

test('out of descriptors, connections that the system closes unanswered are not silent: a rate-limited [LISTEN] line says so', { skip: process.platform !== 'linux' && 'needs a low ulimit -n' }, async () => {
  // 46 descriptors (the start itself needs about 40 for a moment, while modules load): one connection fits (the server says so), and refused sockets, answered up to
  // 32 at a time, use up the rest while their peers keep them open.
  await withServer(['--max-clients', '1000'], async (server, s) => {
    await server.waitForLog(/^\[LIMITS\] .*: at most 1 connections at once;/);
    const said = server.waitForLog(/^\[LISTEN\] out of file descriptors \(EMFILE\): new connections are closed unanswered; raise ulimit -n or lower --max-clients/);
    let done = false;
    void said.then(() => (done = true), () => (done = true));
    // Peers that keep their side open after the refusal, so each refused socket lingers.
    for (let i = 0; i < 1000 && !done; i++) await s.halfOpen(server.port);
    await said;
  }, { fileLimit: 46 });
});

test('SIGTERM closes sockets that have no session yet (HTTP before any request, unfinished headers), so the server exits', async () => {
  await withServer(['--http-port', '0'], async (server, s) => {
    const web = await portOf(server, /^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
    const silent = await s.text(web);
    const unfinished = await s.unfinished(web);
    const user = await s.text(server.port);
    await user.waitFor('Enter username: ');
    const exited = server.stop();
    for (const c of [silent, unfinished, user]) await c.waitClosed();
    assert.equal(await exited, 0);
  });
});
