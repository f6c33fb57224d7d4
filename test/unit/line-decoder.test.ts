import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fragment } from '../helpers/fragment.js';
import { LineDecoder } from '../../src/core/line-decoder.js';

type Out = { kind: 'line'; bytes: string } | { kind: 'tooLong' };

/** A decoder that records what it delivers (lines as hex, so any byte compares exactly). */
function recorder(maxLine: number) {
  const out: Out[] = [];
  let maxPending = 0;
  let maxBuffers = 0;
  const decoder = new LineDecoder(maxLine, {
    line: (bytes) => out.push({ kind: 'line', bytes: Buffer.from(bytes).toString('hex') }),
    tooLong: () => out.push({ kind: 'tooLong' }),
  });
  const push = (chunk: Buffer) => {
    decoder.push(chunk);
    maxPending = Math.max(maxPending, decoder.pendingBytes);
    maxBuffers = Math.max(maxBuffers, decoder.pendingBuffers);
  };
  return { decoder, out, push, maxPending: () => maxPending, maxBuffers: () => maxBuffers };
}

/**
 * The contract as a reference model over the whole input: every LF-terminated line once, in order,
 * without its LF and one trailing CR; a line over maxLine is reported as too long instead. An
 * unterminated tail is held, and reported too long as soon as it cannot fit (maxLine + 1 bytes,
 * room for the CR of a CRLF still to come).
 */
function model(input: Buffer, maxLine: number): Out[] {
  const out: Out[] = [];
  let start = 0;
  for (let nl = input.indexOf(0x0a); nl !== -1; nl = input.indexOf(0x0a, start)) {
    let line = input.subarray(start, nl);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    out.push(line.length > maxLine ? { kind: 'tooLong' } : { kind: 'line', bytes: line.toString('hex') });
    start = nl + 1;
  }
  if (input.length - start > maxLine + 1) out.push({ kind: 'tooLong' });
  return out;
}

/** Bytes rich in the characters that matter: LF, CR, and long runs. */
const wireBytes = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 3, arbitrary: fc.constantFrom(Uint8Array.of(0x0a), Uint8Array.of(0x0d, 0x0a), Uint8Array.of(0x0d)) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => new Uint8Array(n).fill(0x61)) },
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.concat(parts));

test('property: any bytes, any fragmentation: exactly the model, in order, with a bounded buffer', () => {
  fc.assert(
    fc.property(wireBytes, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 16, max: 200 }), (input, cuts, maxLine) => {
      const r = recorder(maxLine);
      for (const part of fragment(input, cuts)) r.push(part);
      assert.deepEqual(r.out, model(input, maxLine));
      assert.ok(r.maxPending() <= maxLine + 1, `held ${r.maxPending()} bytes with maxLine ${maxLine}`);
      assert.ok(r.maxBuffers() <= 1, `held ${r.maxBuffers()} buffers`);
    }),
    { numRuns: 1000 },
  );
});

test('property: the same input split differently gives the same lines', () => {
  fc.assert(
    fc.property(wireBytes, fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 30 }), (input, a, b) => {
      const x = recorder(64);
      const y = recorder(64);
      for (const part of fragment(input, a)) x.push(part);
      for (const part of fragment(input, b)) y.push(part);
      assert.deepEqual(x.out, y.out);
    }),
    { numRuns: 500 },
  );
});

test('property: a UTF-8 character split across chunks decodes whole', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
      const clean = text.replace(/[\r\n]/g, '');
      const lines: string[] = [];
      const decoder = new LineDecoder(4096, { line: (b) => lines.push(b.toString('utf8')), tooLong: () => assert.fail('too long') });
      for (const part of fragment(Buffer.from(`${clean}\n`, 'utf8'), cuts)) decoder.push(part);
      assert.deepEqual(lines, [clean]);
    }),
    { numRuns: 500 },
  );
});

test('property: chunk framing delivers every chunk (split at newlines) and holds nothing', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), (chunks) => {
      const r = recorder(4096);
      r.decoder.chunkFraming = true;
      const expected: Out[] = [];
      for (const c of chunks) {
        const chunk = Buffer.from(c);
        r.push(chunk);
        assert.equal(r.decoder.pendingBytes, 0);
        // Each chunk is its own message: the model applied to the chunk with its tail terminated.
        const terminated = chunk.length > 0 && chunk[chunk.length - 1] !== 0x0a ? Buffer.concat([chunk, Buffer.of(0x0a)]) : chunk;
        expected.push(...model(terminated, 4096));
      }
      assert.deepEqual(r.out, expected);
    }),
    { numRuns: 500 },
  );
});

test('a line of exactly maxLine bytes passes, one byte more is refused once, and the next line is intact', () => {
  const r = recorder(16);
  r.push(Buffer.from(`${'a'.repeat(16)}\r\n${'b'.repeat(17)}\nok\n`));
  assert.deepEqual(r.out, [
    { kind: 'line', bytes: Buffer.from('a'.repeat(16)).toString('hex') },
    { kind: 'tooLong' },
    { kind: 'line', bytes: Buffer.from('ok').toString('hex') },
  ]);
});

test('an endless line without a newline, one byte at a time, is refused once and never buffered whole', () => {
  const r = recorder(64);
  for (let i = 0; i < 100_000; i++) r.push(Buffer.of(0x78));
  r.push(Buffer.from('\nafter\n'));
  assert.deepEqual(r.out, [{ kind: 'tooLong' }, { kind: 'line', bytes: Buffer.from('after').toString('hex') }]);
  assert.ok(r.maxPending() <= 65);
});

test('a line arriving one byte per read is held in one buffer, not one per byte, and delivered whole', () => {
  const r = recorder(8701);
  const line = Buffer.from(`PRIVMSG #lobby :${'é'.repeat(4000)}`);
  for (const b of Buffer.concat([line, Buffer.from('\r\nnext\n')])) r.push(Buffer.of(b));
  assert.deepEqual(r.out, [
    { kind: 'line', bytes: line.toString('hex') },
    { kind: 'line', bytes: Buffer.from('next').toString('hex') },
  ]);
  assert.equal(r.maxBuffers(), 1);
  assert.equal(r.decoder.pendingBuffers, 0, 'nothing is kept between lines');
});

test('a held partial line is a copy: the pushed chunk may be reused by the caller', () => {
  const lines: string[] = [];
  const decoder = new LineDecoder(100, { line: (b) => lines.push(b.toString()), tooLong: () => {} });
  const chunk = Buffer.from('hello');
  decoder.push(chunk);
  chunk.fill(0x7a);
  decoder.push(Buffer.from(' world\n'));
  assert.deepEqual(lines, ['hello world']);
});
