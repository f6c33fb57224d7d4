import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stripControls } from '../../src/core/sanitize.js';

/** What may never reach another user's terminal: C0 except TAB (so CR and LF too), DEL, C1. */
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\u009f]/;

/** Strings dense in escape-sequence material, so the generator reaches the interesting cases. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom('\x1b', '\x1b[', '\x1b]', '\x1bP', '\u009b', '\u009d', '\x07', '\x1b\\', '\u009c', '\r', '\n', '\t', '\x00', '\x7f', '\u0085'),
      fc.constantFrom('[2J', '31m', '0;evil\x07', 'H', ';', '?', '2004h', 'c', '(0'),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { maxLength: 25 },
  )
  .map((parts) => parts.join(''));

test('property: the output never holds a control character other than TAB', () => {
  fc.assert(
    fc.property(hostile, (s) => {
      assert.ok(!UNSAFE.test(stripControls(s)), JSON.stringify(stripControls(s)));
    }),
    { numRuns: 5000 },
  );
});

test('property: stripping is idempotent and never adds text', () => {
  fc.assert(
    fc.property(hostile, (s) => {
      const once = stripControls(s);
      assert.equal(stripControls(once), once);
      assert.ok(once.length <= s.length);
    }),
    { numRuns: 2000 },
  );
});

test('property: text without controls passes unchanged (including TAB and any printable Unicode)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
      const safe = s.replace(new RegExp(UNSAFE.source, 'g'), '');
      assert.equal(stripControls(safe), safe);
      assert.equal(stripControls(`a\tb ${safe}`), `a\tb ${safe}`);
    }),
    { numRuns: 2000 },
  );
});

test('whole escape sequences go, not just their ESC byte', () => {
  const cases: Array<[string, string]> = [
    ['\x1b[2J\x1b[Hhi', 'hi'],
    ['\x1b[31mred\x1b[0m', 'red'],
    ['\x1b]0;pwned title\x07after', 'after'],
    ['\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\', 'link'],
    ['\x1bPq#0;2;0;0;0\x1b\\x', 'x'],
    ['\u009b2J\u009d0;t\u009cok', 'ok'],
    ['\x1bc reset', ' reset'],
    ['\x1b(0line', 'line'],
    ['a\rb\nc', 'abc'],
    ['a\x08\x08\x08b', 'ab'],
    ['tab\tkept', 'tab\tkept'],
  ];
  for (const [input, want] of cases) assert.equal(stripControls(input), want, JSON.stringify(input));
});

test('an unterminated OSC string swallows only the rest of its own line', () => {
  // The server strips per line, so whatever an OSC swallows is the sender's own line only.
  assert.equal(stripControls('\x1b]0;title'), '');
  assert.equal(stripControls('plain'), 'plain');
});
