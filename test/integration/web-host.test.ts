import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

// DNS rebinding: a page on rebind.example whose name now resolves to this server is same-origin
// with it as far as the browser knows (Origin and Host agree), so the Origin check alone lets it
// through. The Host check refuses any name the server was not told it has.

const MISDIRECTED = 'HTTP/1.1 421 Misdirected Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 90\r\nConnection: close\r\n\r\n421 Misdirected Request: this server does not answer to that host name (see --web-hosts).\n';

async function webServer(args: string[]): Promise<{ server: ServerProc; web: number }> {
  const server = await startServer(['--http-port', '0', ...args]);
  const line = await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
  return { server, web: Number(/:(\d+)\/$/.exec(line)![1]) };
}

/** One request on its own connection; resolves with everything the server sent until it closed or ended its headers. */
async function request(port: number, lines: string[], untilClosed: boolean): Promise<string> {
  const c = await TestClient.connect(port);
  c.send(`${lines.join('\r\n')}\r\n\r\n`);
  if (untilClosed) await c.waitClosed();
  else await c.waitFor('\r\n\r\n');
  c.destroy();
  return c.text;
}

const page = (port: number, host: string) => request(port, ['GET /nothing-here HTTP/1.1', `Host: ${host}`, 'Connection: close'], true);

function upgrade(port: number, host: string, origin?: string): Promise<string> {
  const lines = ['GET /ws HTTP/1.1', `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
  if (origin !== undefined) lines.push(`Origin: ${origin}`);
  return request(port, lines, false);
}

const statusOf = (answer: string) => answer.slice(0, answer.indexOf('\r\n'));

test('default options: a rebinding Host is refused with 421 for the page and the upgrade; IP literals, localhost and the server name are accepted', async () => {
  const { server, web } = await webServer(['--server-name', 'irc.example.net']);
  try {
    const rebind = `rebind.example:${web}`;
    const pageAnswer = await page(web, rebind);
    assert.equal(statusOf(pageAnswer), 'HTTP/1.1 421 Misdirected Request');
    assert.ok(pageAnswer.endsWith('\r\n\r\n421 Misdirected Request: this server does not answer to that host name (see --web-hosts).\n'), pageAnswer);
    await server.waitForLog(new RegExp(`^\\[HTTP REFUSED\\] \\('127\\.0\\.0\\.1', \\d+\\): Host rebind\\.example:${web} is not a name of this server$`));

    assert.equal(await upgrade(web, rebind, `http://${rebind}`), MISDIRECTED);
    await server.waitForLog(new RegExp(`^\\[WS REFUSED\\] \\('127\\.0\\.0\\.1', \\d+\\): Host rebind\\.example:${web} is not a name of this server$`));

    for (const host of [`127.0.0.1:${web}`, '127.0.0.1', `[::1]:${web}`, `localhost:${web}`, `app.localhost:${web}`, `irc.example.net:${web}`]) {
      assert.equal(statusOf(await upgrade(web, host, `http://${host}`)), 'HTTP/1.1 101 Switching Protocols', host);
      assert.equal(statusOf(await page(web, host)), 'HTTP/1.1 404 Not Found', host);
    }
    // The Origin check stays: an accepted Host does not let another site's page in.
    assert.equal(statusOf(await upgrade(web, `127.0.0.1:${web}`, 'http://evil.example')), 'HTTP/1.1 403 Forbidden');
  } finally {
    await server.stop();
  }
});

test('--web-hosts: the names listed are accepted, in any case; a name under one of them is another name', async () => {
  const { server, web } = await webServer(['--web-hosts', 'chat.example.com,other.example']);
  try {
    for (const host of [`chat.example.com:${web}`, `CHAT.Example.COM:${web}`, 'other.example']) {
      assert.equal(statusOf(await upgrade(web, host, `http://${host}`)), 'HTTP/1.1 101 Switching Protocols', host);
      assert.equal(statusOf(await page(web, host)), 'HTTP/1.1 404 Not Found', host);
    }
    assert.equal(await upgrade(web, `sub.chat.example.com:${web}`), MISDIRECTED);
    assert.equal(await upgrade(web, `rebind.example:${web}`), MISDIRECTED);
  } finally {
    await server.stop();
  }
});

test('--web-hosts * accepts any Host (for a proxy that checks it); the Origin check still applies', async () => {
  const { server, web } = await webServer(['--web-hosts', '*']);
  try {
    const rebind = `rebind.example:${web}`;
    assert.equal(statusOf(await upgrade(web, rebind, `http://${rebind}`)), 'HTTP/1.1 101 Switching Protocols');
    assert.equal(statusOf(await page(web, rebind)), 'HTTP/1.1 404 Not Found');
    assert.equal(statusOf(await upgrade(web, rebind, 'http://evil.example')), 'HTTP/1.1 403 Forbidden');
  } finally {
    await server.stop();
  }
});
