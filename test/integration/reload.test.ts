import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { waitUntil } from '../helpers/wait.js';
import { makeCert } from '../helpers/certs.js';
import { addUser, setPassword } from '../../src/store/accounts/users-file.js';

/**
 * SIGHUP re-reads the TLS certificate and key and the users file, without dropping anyone: the
 * real server process, real TLS handshakes and logins over real sockets.
 */

/** Sends SIGHUP and waits for the `nth` log line matching `outcome` (every reload logs what it did). */
async function sighup(server: ServerProc, outcome: RegExp, nth: number): Promise<void> {
  server.proc.kill('SIGHUP');
  await waitUntil(() => server.lines.filter((l) => outcome.test(l)).length >= nth, () => `no ${nth}th ${outcome} in:\n${server.lines.join('\n')}`);
}

/** A TLS connection to `port` trusting `ca`; resolves once the handshake is done. */
async function tlsSocket(port: number, ca: string): Promise<TLSSocket> {
  const socket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ca: [readFileSync(ca)] });
  await once(socket, 'secureConnect');
  return socket;
}

function fingerprint(socket: TLSSocket): string {
  return socket.getPeerX509Certificate()!.fingerprint256;
}

async function tlsLogin(port: number, ca: string, user: string): Promise<{ client: TestClient; socket: TLSSocket }> {
  const socket = await tlsSocket(port, ca);
  return { client: await TestClient.wrap(socket).logIn(user), socket };
}

test('SIGHUP: a new certificate is served to new TLS and HTTPS clients while an old TLS connection stays up; a broken one is refused and the last good one kept', { timeout: 120_000 }, async () => {
  const first = makeCert();
  const second = makeCert();
  const live = mkdtempSync(join(tmpdir(), 'chat-reload-'));
  const cert = join(live, 'cert.pem');
  const key = join(live, 'key.pem');
  copyFileSync(first.cert, cert);
  copyFileSync(first.key, key);
  const server = await startServer(['--tls-port', '0', '--tls-cert', cert, '--tls-key', key, '--https-port', '0']);
  try {
    const tlsPort = Number(/:(\d+)$/.exec(await server.waitForLog(/^TLS on 127\.0\.0\.1:\d+$/))![1]);
    const httpsPort = Number(/:(\d+)\/$/.exec(await server.waitForLog(/^Web client on https:\/\/127\.0\.0\.1:\d+\/$/))![1]);
    const old = await tlsLogin(tlsPort, first.cert, 'user1');
    const firstPrint = new X509Certificate(readFileSync(first.cert)).fingerprint256;
    const secondPrint = new X509Certificate(readFileSync(second.cert)).fingerprint256;
    assert.equal(fingerprint(old.socket), firstPrint);

    // The renewal: both files replaced (as certbot's deploy hook does), then SIGHUP.
    copyFileSync(second.cert, cert);
    copyFileSync(second.key, key);
    await sighup(server, /^\[TLS\] reloaded /, 1);
    const fresh = await tlsLogin(tlsPort, second.cert, 'user2');
    assert.equal(fingerprint(fresh.socket), secondPrint);
    const web = await tlsSocket(httpsPort, second.cert);
    assert.equal(fingerprint(web), secondPrint);
    web.destroy();

    // The old connection was not dropped: it still chats, with the new one, in both directions.
    fresh.client.send('hello from the new certificate\n');
    await old.client.waitFor('user2: hello from the new certificate\n');
    old.client.send('still here on the old one\n');
    await fresh.client.waitFor('user1: still here on the old one\n');

    // A half-written renewal (a key that is not PEM): logged, and the certificate in use stays.
    writeFileSync(key, 'not a key\n');
    await sighup(server, /^\[TLS\] not reloaded: --tls-key .* is not a PEM private key/, 1);
    const after = await tlsSocket(tlsPort, second.cert);
    assert.equal(fingerprint(after), secondPrint);
    after.destroy();
    old.client.send('and after the bad one\n');
    await fresh.client.waitFor('user1: and after the bad one\n');
    old.client.destroy();
    fresh.client.destroy();
  } finally {
    await server.stop();
    first.remove();
    second.remove();
    rmSync(live, { recursive: true, force: true });
  }
});

test('SIGHUP: the users file is read again at once, so a changed password works and the old one is refused; sessions stay', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-reload-users-'));
  const file = join(dir, 'users.txt');
  await addUser(file, 'alice', 'first secret', false);
  await addUser(file, 'bob', 'bobs secret', false);
  const server = await startServer(['--auth', 'file', '--users', file]);
  try {
    const bob = await TestClient.login(server.port, 'bob', 'bobs secret');
    await setPassword(file, 'alice', 'second secret');
    await sighup(server, /^\[ACCOUNTS\] Reloaded accounts from .*\(2 users\)\.$/, 1);

    const alice = await TestClient.login(server.port, 'alice', 'second secret');
    await bob.waitFor('alice joined the chat.\n');
    const stale = await TestClient.connect(server.port);
    await stale.waitFor('Enter username: ');
    stale.send('alice\n');
    await stale.waitFor('Enter password: ');
    stale.send('first secret\n');
    await stale.waitFor('Invalid credentials. Connection closed.\n');
    // Bob, logged in before the reload, is still connected.
    alice.send('hi bob\n');
    await bob.waitFor('alice: hi bob\n');
    alice.destroy();
    bob.destroy();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
