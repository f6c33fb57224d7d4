import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/core/log.js';
import { defaultConfig } from '../../src/server/config.js';
import { startChatServer } from '../../src/server/server.js';
import { WsSession } from '../../src/protocols/ws/session.js';
import { FakeTransport } from '../helpers/fake-transport.js';

const settings = { maxPayload: 16 * 1024, loginTimeoutMs: 60_000, pingIntervalMs: 60_000, presenceMax: 250, serverName: 'test', version: '0' };

test('keepalive: a silent client is pinged, and closed (PING_TIMEOUT, close code 4004) when it stays silent', async () => {
  const server = await startChatServer({ ...defaultConfig(), port: 0, statsIntervalS: 0, httpPort: null, ircPort: null }, silentLogger);
  try {
    const t = new FakeTransport('192.0.2.1', 1);
    const s = new WsSession(t, server.ctx, settings);
    t.session = s.connection;
    const written = () => t.bytes.length;
    const before = written();
    s.keepalive(); // input was heard at the start: no ping yet
    assert.equal(written(), before);
    s.keepalive(); // silent for an interval: a ping
    assert.deepEqual([...t.bytes.subarray(before)], [0x89, 0x00]);
    s.keepalive(); // still silent: closed
    await t.waitClosed();
    assert.equal(t.code, 'PING_TIMEOUT');
    assert.deepEqual([...t.bytes.subarray(-4)], [0x88, 0x02, 0x0f, 0xa4], 'a close frame with 4004 is the last thing written');
  } finally {
    await server.close();
  }
});
