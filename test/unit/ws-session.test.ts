import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/core/log.js';
import { defaultConfig } from '../../src/server/config.js';
import { startChatServer } from '../../src/server/server.js';
import { WsSession } from '../../src/protocols/ws/session.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { clientFrame } from '../helpers/raw-ws.js';
import { OP } from '../../src/protocols/ws/frame-codec.js';

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

/** The frames of `bytes` (server frames: unmasked, short). */
function framesOf(bytes: Buffer): Array<{ op: number; text: string }> {
  const out: Array<{ op: number; text: string }> = [];
  for (let at = 0; at < bytes.length; ) {
    const len = bytes[at + 1]! & 0x7f;
    const head = len === 126 ? 4 : 2;
    const n = len === 126 ? bytes.readUInt16BE(at + 2) : len;
    const payload = bytes.subarray(at + head, at + head + n);
    out.push({ op: bytes[at]! & 0x0f, text: (bytes[at]! & 0x0f) === OP.close ? String(payload.readUInt16BE(0)) : payload.toString() });
    at += head + n;
  }
  return out;
}

test('before login: the third message answered with an error is the last (1008, PROTOCOL_ERROR); a client with more than --queue-bytes unread is closed (4003, SENDQ_EXCEEDED)', async () => {
  const server = await startChatServer({ ...defaultConfig(), port: 0, statsIntervalS: 0, httpPort: null, ircPort: null, queueBytes: 4096 }, silentLogger);
  try {
    const bad = new FakeTransport('192.0.2.1', 1);
    const s = new WsSession(bad, server.ctx, settings);
    bad.session = s.connection;
    for (let i = 0; i < 10; i++) s.connection.data(clientFrame(OP.text, Buffer.from('1')));
    await bad.waitClosed();
    assert.equal(bad.code, 'PROTOCOL_ERROR');
    const seen = framesOf(bad.bytes);
    assert.deepEqual(seen.map((f) => (f.op === OP.close ? `close ${f.text}` : (JSON.parse(f.text) as { type: string }).type)), ['hello', 'error', 'error', 'error', 'close 1008']);

    // A client that never reads: its socket holds more than --queue-bytes (4096) unsent.
    const stuck = new FakeTransport('192.0.2.2', 1);
    const t = new WsSession(stuck, server.ctx, settings);
    stuck.session = t.connection;
    stuck.writableLength = 4097;
    t.connection.data(clientFrame(OP.text, Buffer.from('1')));
    await stuck.waitClosed();
    assert.equal(stuck.code, 'SENDQ_EXCEEDED');
    assert.deepEqual(framesOf(stuck.bytes).slice(1), [
      { op: OP.text, text: '{"type":"closing","text":"Disconnected: send queue exceeded."}' },
      { op: OP.close, text: '4003' },
    ]);
  } finally {
    await server.close();
  }
});
