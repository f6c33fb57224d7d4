import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closeFrame, FrameDecoder, OP, textFrame, type FrameSink } from '../../src/protocols/ws/frame-codec.js';
import { parseClientMessage } from '../../src/protocols/ws/parse.js';
import { handshake } from '../../src/protocols/ws/handshake.js';
import { fragment } from '../helpers/fragment.js';
import { clientFrame } from '../helpers/raw-ws.js';
import { DEFAULTS } from '../../src/core/limits.js';

function recorder(): FrameSink & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    text: (m) => events.push(`text:${m}`),
    binary: (p) => events.push(`binary:${p.length}`),
    ping: (p) => events.push(`ping:${p.toString()}`),
    pong: (p) => events.push(`pong:${p.toString()}`),
    close: (code, reason) => events.push(`close:${code}:${reason}`),
    fail: (code) => events.push(`fail:${code}`),
  };
}

test('property: messages split into fragments and TCP segments anywhere decode to the same messages, with control frames between', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (messages, cuts, fragmentIt) => {
      const frames: Buffer[] = [];
      for (const m of messages) {
        const bytes = Buffer.from(m);
        if (fragmentIt && bytes.length > 2) {
          const half = bytes.length >> 1;
          frames.push(clientFrame(OP.text, bytes.subarray(0, half), false), clientFrame(OP.ping, Buffer.from('p')), clientFrame(OP.continuation, bytes.subarray(half)));
        } else frames.push(clientFrame(OP.text, bytes));
      }
      const sink = recorder();
      const d = new FrameDecoder(1 << 20, sink);
      for (const part of fragment(Buffer.concat(frames), cuts)) d.push(part);
      const texts = sink.events.filter((e) => e.startsWith('text:')).map((e) => e.slice(5));
      // Fragmenting splits bytes, possibly inside a UTF-8 character: the decoder must join first.
      assert.deepEqual(texts, messages.map((m) => Buffer.from(m).toString()));
    }),
    { numRuns: 300 },
  );
});

test('property: random bytes never throw and never deliver more than one failure', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
      const sink = recorder();
      const d = new FrameDecoder(1024, sink);
      for (const c of chunks) d.push(Buffer.from(c));
      assert.ok(sink.events.filter((e) => e.startsWith('fail:') || e.startsWith('close:')).length <= 1);
    }),
    { numRuns: 500 },
  );
});

test('violations: unmasked, reserved bits, bad opcode, long control frame, stray continuation, invalid UTF-8, oversized (refused from its header alone)', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['unmasked', Buffer.from([0x81, 0x02, 0x68, 0x69]), 'fail:1002'],
    ['reserved bits', Buffer.concat([Buffer.from([0xc1]), clientFrame(OP.text, Buffer.from('hi')).subarray(1)]), 'fail:1002'],
    ['opcode 3', clientFrame(0x3, Buffer.from('x')), 'fail:1002'],
    ['ping of 126 bytes', clientFrame(OP.ping, Buffer.alloc(126)), 'fail:1002'],
    ['continuation first', clientFrame(OP.continuation, Buffer.from('x')), 'fail:1002'],
    ['invalid UTF-8', clientFrame(OP.text, Buffer.from([0xff, 0xfe])), 'fail:1007'],
    ['2 GiB header', Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]), 'fail:1009'],
    ['one byte over the limit', clientFrame(OP.text, Buffer.alloc(1025, 0x61)).subarray(0, 8), 'fail:1009'],
  ];
  for (const [name, bytes, want] of cases) {
    const sink = recorder();
    new FrameDecoder(1024, sink).push(bytes);
    assert.deepEqual(sink.events, [want], name);
  }
  const sink = recorder();
  const d = new FrameDecoder(1024, sink);
  d.push(clientFrame(OP.text, Buffer.alloc(600, 0x61), false));
  d.push(clientFrame(OP.continuation, Buffer.alloc(600, 0x61)).subarray(0, 8));
  assert.deepEqual(sink.events, ['fail:1009'], 'a fragmented message over the limit in total');
});

test('close, ping, pong and binary frames reach the sink; server frames are unmasked and self-delimiting', () => {
  const sink = recorder();
  const d = new FrameDecoder(1024, sink);
  d.push(Buffer.concat([clientFrame(OP.ping, Buffer.from('a')), clientFrame(OP.pong, Buffer.from('b')), clientFrame(OP.binary, Buffer.from([1, 2, 3])), clientFrame(OP.close, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]))]));
  assert.deepEqual(sink.events, ['ping:a', 'pong:b', 'binary:3', 'close:1000:bye']);
  assert.deepEqual([...textFrame('hi')], [0x81, 2, 0x68, 0x69]);
  assert.deepEqual([...textFrame('x'.repeat(200)).subarray(0, 4)], [0x81, 126, 0, 200]);
  assert.deepEqual([...closeFrame(4002)], [0x88, 2, 0x0f, 0xa2]);
});

test('the handshake: the RFC 6455 example key, and refusals for a wrong method, version, key or origin', () => {
  const headers = { upgrade: 'websocket', connection: 'keep-alive, Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', host: 'chat.local:8080' };
  const ok = handshake({ method: 'GET', headers, secure: false }, []);
  assert.equal(ok.kind, 'accept');
  assert.match(ok.response.toString(), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  const status = (over: Record<string, string>, method = 'GET', origins: string[] = []) => handshake({ method, headers: { ...headers, ...over }, secure: false }, origins).response.toString().split('\r\n')[0];
  assert.equal(status({}, 'POST'), 'HTTP/1.1 405 Method Not Allowed');
  assert.equal(status({ 'sec-websocket-version': '8' }), 'HTTP/1.1 426 Upgrade Required');
  assert.equal(status({ 'sec-websocket-key': 'short' }), 'HTTP/1.1 400 Bad Request');
  assert.equal(status({ origin: 'http://evil.example' }), 'HTTP/1.1 403 Forbidden');
  assert.equal(status({ origin: 'https://chat.local:8080' }), 'HTTP/1.1 403 Forbidden', 'another scheme is another origin');
  assert.equal(status({ origin: 'http://CHAT.local:8080' }), 'HTTP/1.1 101 Switching Protocols');
  assert.equal(status({ origin: 'https://web.example' }, 'GET', ['https://web.example']), 'HTTP/1.1 101 Switching Protocols');
});

test('property: parseClientMessage never throws; whatever it accepts has a known type and string fields', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.record({ type: fc.constantFrom('login', 'say', 'join', 'x', 1), room: fc.anything(), text: fc.anything(), user: fc.string(), password: fc.string() }).map((r) => JSON.stringify(r))), (text) => {
      const m = parseClientMessage(text);
      if ('error' in m) return;
      const fields: Record<string, string[]> = { login: ['user', 'password'], say: ['room', 'text'], action: ['room', 'text'], private: ['to', 'text'], join: ['room'], part: ['room'], topic: ['room', 'text'], command: ['room', 'line'], presence: [], stats: [] };
      assert.ok(Object.hasOwn(fields, m.type), m.type);
      for (const f of fields[m.type]!) assert.equal(typeof (m as unknown as Record<string, unknown>)[f], 'string');
    }),
    { numRuns: 500 },
  );
});

test('fragments are bounded in pieces: endless empty continuation frames close with 1008 at the limit, before anything grows', () => {
  const max = DEFAULTS.wsMaxFragments;
  for (const piece of [Buffer.alloc(0), Buffer.from('x')]) {
    const sink = recorder();
    const d = new FrameDecoder(1 << 20, sink);
    d.push(clientFrame(OP.text, piece, false));
    // What the attack sent: continuation frames that never finish the message.
    for (let i = 0; i < 10_000 && sink.events.length === 0; i++) d.push(clientFrame(OP.continuation, piece, false));
    assert.deepEqual(sink.events, ['fail:1008'], `${piece.length}-byte fragments`);
  }
  // Exactly at the limit, a message still arrives whole; the next message counts afresh.
  const sink = recorder();
  const d = new FrameDecoder(1 << 20, sink);
  const frames = [clientFrame(OP.text, Buffer.from('a'), false)];
  for (let i = 2; i < max; i++) frames.push(clientFrame(OP.continuation, Buffer.alloc(0), false));
  frames.push(clientFrame(OP.continuation, Buffer.from('b')));
  d.push(Buffer.concat([...frames, ...frames]));
  assert.deepEqual(sink.events, ['text:ab', 'text:ab']);
  // max - 1 frames, then the max-th (not final) and one more: refused from that one's header.
  d.push(Buffer.concat([...frames.slice(0, -1), clientFrame(OP.continuation, Buffer.alloc(0), false)]));
  assert.deepEqual(sink.events, ['text:ab', 'text:ab']);
  d.push(clientFrame(OP.continuation, Buffer.from('c')).subarray(0, 2));
  assert.deepEqual(sink.events, ['text:ab', 'text:ab', 'fail:1008']);
});

test('control frames between fragments keep nothing and do not count: a ping flood inside a message', () => {
  const sink = recorder();
  const d = new FrameDecoder(1024, sink, 2);
  d.push(clientFrame(OP.text, Buffer.from('he'), false));
  const pings = Buffer.concat(Array.from({ length: 5000 }, () => clientFrame(OP.ping, Buffer.alloc(0))));
  d.push(pings);
  d.push(clientFrame(OP.continuation, Buffer.from('llo')));
  assert.equal(sink.events.length, 5001);
  assert.equal(sink.events.at(-1), 'text:hello');
});

test('property: within both limits, any fragmentation decodes; one fragment more fails with 1008, never more than one failure', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (pieces, maxFragments, cuts) => {
      const frames = pieces.map((p, i) => clientFrame(i === 0 ? OP.text : OP.continuation, Buffer.from(p), i === pieces.length - 1));
      const sink = recorder();
      const d = new FrameDecoder(1024, sink, maxFragments);
      for (const part of fragment(Buffer.concat(frames), cuts)) d.push(part);
      if (pieces.length <= maxFragments) assert.deepEqual(sink.events, [`text:${Buffer.from(pieces.join('')).toString()}`]);
      else assert.deepEqual(sink.events, ['fail:1008']);
    }),
    { numRuns: 300 },
  );
});
