import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespReader, encodeCommand } from '../../src/bench/resp.js';
import { LineReader } from '../../src/bench/line-reader.js';
import { formatPayload, parsePayload, payloadStartInChatLine, type PayloadFields } from '../../src/bench/payload.js';
import { LatencyRecorder, summarize } from '../../src/bench/latency-recorder.js';

/** The bench's byte-level parsers must give the same answer wherever a read boundary falls. */

test('RESP reader reports the same elements for every split of the stream', () => {
  const msg = Buffer.from('>3\r\n$7\r\nmessage\r\n$5\r\nbench\r\n$11\r\nb 1 2 3 456\r\n:12\r\n+OK\r\n-ERR no\r\n$-1\r\n%1\r\n$3\r\nabc\r\n$0\r\n\r\n');
  const want = 'A>3|B:message|B:bench|B:b 1 2 3 456|:12|+OK|-ERR no|A%1|B:abc|B:';
  for (let cut = 0; cut <= msg.length; cut++) {
    const out: string[] = [];
    const r = new RespReader({
      bulk: (b, s, e) => out.push(`B:${b.toString('latin1', s, e)}`),
      line: (t, b, s, e) => out.push(String.fromCharCode(t) + b.toString('latin1', s, e)),
      aggregate: (t, n) => out.push(`A${String.fromCharCode(t)}${n}`),
    });
    r.feed(msg, 0, cut);
    r.feed(msg, cut, msg.length);
    assert.equal(out.join('|'), want, `split at ${cut}`);
  }
});

test('RESP encoder writes arrays of bulk strings', () => {
  assert.equal(encodeCommand(['PUBLISH', 'ch', 'hé']).toString(), '*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$3\r\nhé\r\n');
});

test('line reader and payload parser recover every bench payload across read boundaries', () => {
  const text = `user1: ${formatPayload(3, 17, 42, 123456789)}\nuser2 joined the chat.\n${formatPayload(3, 5, 0, 99999999)}\r\n[SERVER] x\n`;
  const buf = Buffer.from(text);
  for (let cut = 0; cut <= buf.length; cut++) {
    const got: string[] = [];
    const f: PayloadFields = { phase: 0, sender: 0, seq: 0, micros: 0, recvMicros: 0 };
    const lr = new LineReader((b, s, e) => {
      const p = payloadStartInChatLine(b, s, e);
      got.push(p >= 0 && parsePayload(b, p, e, f) ? `${f.phase}/${f.sender}/${f.seq}/${f.micros}` : 'other');
    });
    lr.feed(buf, 0, cut);
    lr.feed(buf, cut, buf.length);
    assert.deepEqual(got, ['3/17/42/123456789', 'other', '3/5/0/99999999', 'other'], `split at ${cut}`);
  }
});

test('payload parser rejects chat lines that only look similar', () => {
  const f: PayloadFields = { phase: 0, sender: 0, seq: 0, micros: 0, recvMicros: 0 };
  for (const s of ['b 1 2 3', 'b 1 2 3 x', 'bench 1 2 3 4', 'b 1 2 3 4 5', 'b  1 2 3 4']) {
    const b = Buffer.from(s);
    assert.equal(parsePayload(b, 0, b.length, f), false, s);
  }
});

test('latency recorder percentiles are within 1 % of the exact values', () => {
  const r = new LatencyRecorder();
  for (let v = 1; v <= 100_000; v++) r.record(v);
  const s = summarize([{ counts: r.counts, max: r.max }]);
  assert.equal(s.count, 100_000);
  assert.ok(Math.abs(s.p50Ms - 50) / 50 < 0.01, String(s.p50Ms));
  assert.ok(Math.abs(s.p99Ms - 99) / 99 < 0.01, String(s.p99Ms));
  assert.equal(s.maxMs, 100);
});
