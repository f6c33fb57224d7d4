import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stripControls } from '../../src/core/sanitize.js';

/** Any character the contract forbids in the output. */
const FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;
/** What the contract may also remove (bidi controls, separators, invisible characters, stray tags, lone surrogates). */
const INVISIBLE = /[\u00ad\u115f\u1160\u180e\u200b\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]|\p{Cs}/u;

/** Checks each [input, expected output] pair. */
function expectClean(cases: Array<[string, string]>): void {
  for (const [input, expected] of cases) assert.equal(stripControls(input), expected, JSON.stringify(input));
}

test('plain and non-ASCII text passes through unchanged', () => {
  for (const s of ['', 'user2: hello', 'café ünïcode 日本語 😀', 'a\tb', '[SERVER] Use: @username message', 'user2: 👩\u200d💻 \u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}']) {
    assert.equal(stripControls(s), s);
  }
});

test('a line from a server that is not ours cannot reorder or hide text on the screen', () => {
  expectClean([
    ['user2: abc\u202edef', 'user2: abcdef'],
    ['user2: a\u2066b\u2069', 'user2: ab'],
    ['user2: x\u2028[SERVER] y', 'user2: x [SERVER] y'],
    ['user2: hi\u{e0041}\u{e0042}', 'user2: hi'],
  ]);
});

test('CSI sequences are removed whole', () => {
  expectClean([
    ['a\x1b[2Jb', 'ab'],
    ['\x1b[1;31mred\x1b[0m', 'red'],
    ['x\x1b[?1049hy', 'xy'],
    ['up\x1b[3Aand', 'upand'],
    ['8bit\u009b2Jcsi', '8bitcsi'],
  ]);
});

test('OSC and other control strings are removed up to their terminator', () => {
  expectClean([
    ['a\x1b]0;owned\x07b', 'ab'],
    ['a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b', 'alinkb'],
    ['a\x1bPq#0;1\x1b\\b', 'ab'],
    ['a\x1b_apc\x1b\\b', 'ab'],
    ['a\u009d0;t\u009cb', 'ab'],
    ['a\x1b]0;never terminated', 'a'],
  ]);
});

test('short escape sequences and lone ESC are removed', () => {
  expectClean([
    ['a\x1bcb', 'ab'],
    ['a\x1b(Bb', 'ab'],
    ['a\x1b7b\x1b8', 'ab'],
    ['end\x1b', 'end'],
    ['\x1b\x1b[31mx', 'x'],
  ]);
});

test('C0 controls except tab, DEL and C1 controls are removed', () => {
  expectClean([
    ['a\rb\nc\bd\u0000e\u0007f\u007fg\u0085h\u0091i', 'abcdefghi'],
    ['fake\r[SERVER] line', 'fake[SERVER] line'],
    ['col\tumn', 'col\tumn'],
  ]);
});

test('output never contains forbidden characters, is idempotent, and keeps safe text', () => {
  const anyText = fc.string({ unit: fc.oneof(fc.constantFrom('\x1b', '[', ']', '\\', '\x07', '\u009b', '\u009c', '\u009d', ';', '2', 'J', 'm', '\t', '\r', '\n'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 60 });
  fc.assert(fc.property(anyText, (s) => {
    const out = stripControls(s);
    assert.ok(!FORBIDDEN.test(out), JSON.stringify(out));
    assert.equal(stripControls(out), out);
  }));
  const safeText = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !FORBIDDEN.test(s) && !INVISIBLE.test(s));
  fc.assert(fc.property(safeText, (s) => {
    assert.equal(stripControls(s), s);
  }));
});
