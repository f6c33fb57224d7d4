import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WS_OP, WsFrameReader } from '../../src/bench/ws-frame-reader.js';
import { WsFrameWriter } from '../../src/bench/ws-frame-writer.js';
import { handshakeProblem, wsHandshake } from '../../src/bench/ws-handshake.js';
import { formatPayload, parseWsMessagePayload, type PayloadFields } from '../../src/bench/payload.js';
import { FrameDecoder, frame, type FrameSink } from '../../src/protocols/ws/frame-codec.js';
import { wsFrame } from '../../src/protocols/ws/render.js';

/**
 * The bench's own WebSocket client code must agree with the server's codec in both directions, and
 * the reader must give the same messages wherever read boundaries fall, as LineReader does.
 */

/** A server frame with any length encoding (the server uses the shortest; a reader must take all three). */
function rawFrame(fin: boolean, op: number, payload: Buffer, lenBytes: 0 | 2 | 8 = 0): Buffer {
  const n = payload.length;
  const head = Buffer.alloc(2 + lenBytes);
  head[0] = (fin ? 0x80 : 0) | op;
  if (lenBytes === 0) head[1] = n;
  else if (lenBytes === 2) { head[1] = 126; head.writeUInt16BE(n, 2); }
  else { head[1] = 127; head.writeUInt32BE(0, 2); head.writeUInt32BE(n, 6); }
  return Buffer.concat([head, payload]);
}

function reader(out: string[], max?: number): WsFrameReader {
  return new WsFrameReader({
    message: (op, b, s, e) => out.push(`${op === WS_OP.text ? 'T' : 'B'}:${b.toString('latin1', s, e)}`),
    control: (op, b, s, e) => out.push(`C${op}:${b.toString('latin1', s, e)}`),
    oversize: () => out.push('oversize'),
    violation: (why) => out.push(`violation:${why}`),
  }, max);
}

const long = 'x'.repeat(300);
const STREAM = Buffer.concat([
  wsFrame({ type: 'hello', server: 's', version: '1', protocol: 1 }),
  frame(WS_OP.text, Buffer.from(long)),
  rawFrame(true, WS_OP.text, Buffer.from('sixty-four'), 8),
  rawFrame(false, WS_OP.text, Buffer.from('frag-')),
  frame(WS_OP.ping, Buffer.from('p')),
  rawFrame(false, WS_OP.continuation, Buffer.from('men'), 2),
  rawFrame(true, WS_OP.continuation, Buffer.from('ted')),
  frame(WS_OP.binary, Buffer.from([1, 2])),
  frame(WS_OP.text, Buffer.alloc(0)),
  frame(WS_OP.text, Buffer.from('last')),
]);
const WANT = [
  'T:{"type":"hello","server":"s","version":"1","protocol":1}', `T:${long}`, 'T:sixty-four', 'C9:p', 'T:frag-mented',
  'B:\u0001\u0002', 'T:', 'T:last',
];

test('the frame reader gives the same messages for every two- and three-way split of the stream', () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const out: string[] = [];
    const r = reader(out);
    r.feed(STREAM, 0, cut);
    r.feed(STREAM, cut, STREAM.length);
    assert.deepEqual(out, WANT, `split at ${cut}`);
  }
  for (let a = 0; a <= STREAM.length; a += 7) {
    for (let b = a; b <= STREAM.length; b += 5) {
      const out: string[] = [];
      const r = reader(out);
      r.feed(STREAM, 0, a);
      r.feed(STREAM, a, b);
      r.feed(STREAM, b, STREAM.length);
      assert.deepEqual(out, WANT, `splits at ${a} and ${b}`);
    }
  }
});

test('the frame reader skips messages over its bound, whole or fragmented, and goes on', () => {
  const stream = Buffer.concat([
    frame(WS_OP.text, Buffer.from('a'.repeat(500))),
    frame(WS_OP.text, Buffer.from('ok1')),
    rawFrame(false, WS_OP.text, Buffer.from('b'.repeat(60))),
    rawFrame(false, WS_OP.continuation, Buffer.from('c'.repeat(60))),
    rawFrame(true, WS_OP.continuation, Buffer.from('d'.repeat(60))),
    frame(WS_OP.text, Buffer.from('ok2')),
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const out: string[] = [];
    const r = reader(out, 100);
    r.feed(stream, 0, cut);
    r.feed(stream, cut, stream.length);
    assert.deepEqual(out, ['oversize', 'T:ok1', 'oversize', 'T:ok2'], `split at ${cut}`);
  }
});

test('the frame reader reports frames no server may send', () => {
  const bad: Array<[Buffer, RegExp]> = [
    [Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x41]), /masked/],
    [Buffer.from([0xc1, 0x00]), /reserved/],
    [Buffer.from([0x80, 0x00]), /continuation/],
    [Buffer.from([0x83, 0x00]), /opcode 3/],
    [Buffer.from([0x09, 0x00]), /control/],
  ];
  for (const [bytes, why] of bad) {
    const out: string[] = [];
    reader(out).feed(bytes, 0, bytes.length);
    assert.equal(out.length, 1);
    assert.match(out[0]!, why);
  }
});

test('the writer\'s masked frames decode with the server\'s own decoder', () => {
  const got: string[] = [];
  const sink: FrameSink = {
    text: (m) => got.push(`text:${m}`),
    binary: () => got.push('binary'),
    ping: () => got.push('ping'),
    pong: (p) => got.push(`pong:${p.toString()}`),
    close: (code) => got.push(`close:${code}`),
    fail: (code, reason) => got.push(`fail:${code}:${reason}`),
  };
  const dec = new FrameDecoder(1 << 20, sink);
  const w = new WsFrameWriter();
  const mid = 'm'.repeat(1000);
  const big = 'g'.repeat(70_000);
  const ping = Buffer.from('xxpingyy');
  dec.push(Buffer.concat([w.text('{"type":"say"}'), w.text(mid), w.text(big), w.text('é'), w.pong(ping, 2, 6), w.close()]));
  assert.deepEqual(got, ['text:{"type":"say"}', `text:${mid}`, `text:${big}`, 'text:é', 'pong:ping', 'close:1000']);
});

test('the bench payload is read from a message frame without JSON.parse, and only from a message', () => {
  const f: PayloadFields = { phase: 0, sender: 0, seq: 0, micros: 0, recvMicros: 0 };
  const payload = formatPayload(2, 17, 42, 123456789);
  const json = (m: Parameters<typeof wsFrame>[0]): Buffer => Buffer.from(JSON.stringify(m));
  const msg = json({ type: 'message', id: 9, at: 1, from: 'user1', room: 'lobby', text: payload });
  // Inside the shared read buffer: bytes after the frame must not be read.
  const buf = Buffer.concat([Buffer.from('junk'), msg, Buffer.from('"text":"b 1 1 1 1"')]);
  assert.ok(parseWsMessagePayload(buf, 4, 4 + msg.length, f));
  assert.deepEqual([f.phase, f.sender, f.seq, f.micros], [2, 17, 42, 123456789]);
  for (const other of [
    json({ type: 'action', id: 9, at: 1, from: 'user1', room: 'lobby', text: payload }),
    json({ type: 'notice', text: `"text":"${payload}"` }),
    json({ type: 'message', id: 9, at: 1, from: 'user1', room: 'lobby', text: `say "${payload}"` }),
    json({ type: 'message', id: 9, at: 1, from: 'user1', room: 'lobby', text: 'hello' }),
  ]) assert.equal(parseWsMessagePayload(other, 0, other.length, f), false, other.toString());
});

test('the upgrade answer is checked: status, Upgrade header and accept value', () => {
  const hs = wsHandshake('127.0.0.1', 8080, '/ws');
  assert.match(hs.request, /^GET \/ws HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8080\r\n/);
  assert.match(hs.request, /Sec-WebSocket-Version: 13\r\n\r\n$/);
  const ok = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${hs.accept}`;
  assert.equal(handshakeProblem(ok, hs.accept), null);
  assert.match(handshakeProblem('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10', hs.accept) ?? '', /503/);
  assert.match(handshakeProblem(ok.replace(hs.accept, 'AAAA'), hs.accept) ?? '', /Accept/);
});
