import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatMessage, parseMessage, splitLength, type IrcMessage } from '../../src/protocols/irc/codec.js';
import { IrcRenderer, IrcRenderers, MAX_LINE, splitBytes } from '../../src/protocols/irc/render.js';

// The IRC codec: parse/serialise round trip, never a throw, and the renderer's line-length bound.

const word = fc.stringMatching(/^[^\s:\0\r\n@][^\s\0\r\n]{0,20}$/);
const trailing = fc.string({ maxLength: 60 }).map((t) => t.replace(/[\0\r\n]/g, ''));
const tagKey = fc.stringMatching(/^\+?[A-Za-z][A-Za-z0-9/.-]{0,12}$/);
const message: fc.Arbitrary<IrcMessage> = fc.record({
  tags: fc.array(fc.tuple(tagKey, fc.string({ maxLength: 20 }).map((t) => t.replace(/\0/g, ''))), { maxLength: 3 }).map((kv) => new Map(kv)),
  source: fc.option(word, { nil: undefined }),
  command: fc.oneof(fc.stringMatching(/^[A-Z]{1,12}$/), fc.stringMatching(/^\d{3}$/)),
  params: fc.tuple(fc.array(word, { maxLength: 5 }), fc.option(trailing, { nil: undefined })).map(([mid, last]) => (last === undefined ? mid : [...mid, last])),
});

test('property: formatMessage then parseMessage gives the same message back', () => {
  fc.assert(
    fc.property(message, (msg) => {
      const back = parseMessage(formatMessage(msg));
      assert.ok(back !== undefined);
      assert.deepEqual([...back.tags], [...msg.tags]);
      assert.equal(back.source, msg.source);
      assert.equal(back.command, msg.command);
      assert.deepEqual(back.params, msg.params);
    }),
    { numRuns: 500 },
  );
});

test('property: any bytes parse without throwing, and the lengths add up', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const { tagBytes, restBytes } = splitLength(buf);
      assert.equal(tagBytes + restBytes, buf.length);
      const msg = parseMessage(buf.toString('utf8'));
      if (msg !== undefined) assert.ok(msg.command.length > 0);
    }),
    { numRuns: 1000 },
  );
});

test('parse: tags with escapes, source, middle and trailing params, extra spaces, a missing trailing', () => {
  const m = parseMessage('@a=b\\sc\\:d;e;f=x\\\\y :nick!u@h  PRIVMSG   #chan :hello there ')!;
  assert.deepEqual([...m.tags], [['a', 'b c;d'], ['e', ''], ['f', 'x\\y']]);
  assert.equal(m.source, 'nick!u@h');
  assert.equal(m.command, 'PRIVMSG');
  assert.deepEqual(m.params, ['#chan', 'hello there ']);
  assert.deepEqual(parseMessage('privmsg #chan')!.params, ['#chan']);
  assert.deepEqual(parseMessage('JOIN :')!.params, ['']);
  assert.equal(parseMessage(''), undefined);
  assert.equal(parseMessage('@tags-only'), undefined);
  assert.equal(parseMessage(':source-only'), undefined);
  assert.equal(parseMessage('NICK\0x')!.command, 'NICK\0X');
});

test('render: a long line from a text user is split into IRC lines of at most 512 bytes, never inside a character', () => {
  const r = new IrcRenderer('irc.test', 'irc.test', { serverTime: false, awayNotify: false });
  const text = 'é'.repeat(1500) + ' end';
  const out = r.render({ kind: 'message', stamp: { id: 1, at: 0, origin: 'local' }, from: 'user1', room: 'lobby', text }).toString('utf8');
  const lines = out.split('\r\n').slice(0, -1);
  assert.ok(lines.length > 1);
  for (const l of lines) assert.ok(Buffer.byteLength(`${l}\r\n`) <= MAX_LINE, `${Buffer.byteLength(l)} bytes`);
  assert.equal(lines.map((l) => parseMessage(l)!.params[1]).join(''), text);
  assert.deepEqual(splitBytes('aé', 2), ['a', 'é']);
});

test('render: server-time only on the timed instance; closing is ERROR, an overflow is SendQ exceeded', () => {
  const plain = new IrcRenderer('irc.test', 'h', { serverTime: false, awayNotify: false });
  const timed = new IrcRenderer('irc.test', 'h', { serverTime: true, awayNotify: false });
  const ev = { kind: 'joined', stamp: { id: 1, at: Date.UTC(2026, 0, 2, 3, 4, 5, 6), origin: 'local' }, user: 'u', room: 'dev', how: 'join' } as const;
  assert.equal(plain.render(ev).toString(), ':u!u@h JOIN #dev\r\n');
  assert.equal(timed.render(ev).toString(), '@time=2026-01-02T03:04:05.006Z :u!u@h JOIN #dev\r\n');
  assert.notEqual(plain.id, timed.id);
  assert.equal(plain.render({ kind: 'closing', text: 'Server shutting down.' }).toString(), 'ERROR :Closing link: Server shutting down.\r\n');
  assert.equal(plain.render({ kind: 'closing', text: 'x', code: 'SENDQ_EXCEEDED' }).toString(), 'ERROR :SendQ exceeded\r\n');
  assert.equal(plain.render({ kind: 'left', stamp: ev.stamp, user: 'u', room: 'dev', how: 'logout' }).toString(), ':u!u@h QUIT :Quit\r\n');
  assert.equal(plain.render({ kind: 'notice', text: 'a\r\nb' }).toString(), ':irc.test NOTICE * :a  b\r\n');
  assert.equal(plain.render({ kind: 'left', stamp: ev.stamp, user: 'u', room: 'dev', how: 'logout', reason: 'bye\r\nNICK x' }).toString(), ':u!u@h QUIT :Quit: bye  NICK x\r\n');
});

test('render: away events are AWAY lines only for the away-notify variant, and nothing (an empty render) for the others', () => {
  const renderers = new IrcRenderers('irc.test', 'h');
  const stamp = { id: 1, at: Date.UTC(2026, 0, 2), origin: 'local' };
  const away = { kind: 'away', stamp, user: 'u', text: 'lunch\r\nQUIT' } as const;
  assert.equal(renderers.for(false, true).render(away).toString(), ':u!u@h AWAY :lunch  QUIT\r\n');
  assert.equal(renderers.for(false, true).render({ ...away, text: '' }).toString(), ':u!u@h AWAY\r\n');
  assert.equal(renderers.for(true, true).render(away).toString(), '@time=2026-01-02T00:00:00.000Z :u!u@h AWAY :lunch  QUIT\r\n');
  assert.equal(renderers.for(false, false).render(away).length, 0);
  assert.equal(renderers.for(true, false).render(away).length, 0);
  assert.equal(new Set([false, true].flatMap((t) => [false, true].map((a) => renderers.for(t, a)))).size, 4);
  assert.equal(renderers.for(true, true), renderers.for(true, true), 'one instance per variant');
});
