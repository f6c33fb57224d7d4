import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cleanText, stripControls } from '../../src/core/sanitize.js';

/** What may never reach another user's terminal: C0 except TAB (so CR and LF too), DEL, C1. */
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\u009f]/;

/**
 * What never comes out, wherever it stood: the bidi embeddings, overrides and isolates, the
 * deprecated format characters, the line and paragraph separators, the invisible characters no
 * script spells with, the Hangul fillers, U+E0000–U+E001F and lone surrogates (U+FFFD comes instead). (Tags and U+180E
 * may come out, but only where the contract keeps them: see keptOnlyInPlace.)
 */
const STRIPPED = /[\u00ad\u115f\u1160\u200b\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e001f}]|\p{Cs}/u;
/** Everything the contract may remove: STRIPPED, and tags and U+180E outside their places. */
const INVISIBLE = /[\u00ad\u115f\u1160\u180e\u200b\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]|\p{Cs}/u;

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
      const safe = s.replace(new RegExp(UNSAFE.source, 'g'), '').replace(new RegExp(INVISIBLE.source, 'gu'), '');
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

// --- Invisible and direction-changing characters ---

/** Tags only as a flag's (U+1F3F4, 3–7 tag digits or letters, CANCEL TAG); U+180E only before U+1820/U+1821. */
function keptOnlyInPlace(out: string): boolean {
  const withoutFlags = out.replace(/\u{1f3f4}[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{3,7}\u{e007f}/gu, '\u{1f3f4}');
  const withoutMvs = withoutFlags.replace(/\u180e(?=[\u1820\u1821])/g, '');
  return !/[\u{e0000}-\u{e007f}\u180e]/u.test(withoutMvs);
}

const FLAGS = ['\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}', '\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}', '\u{1f3f4}\u{e0067}\u{e0062}\u{e0077}\u{e006c}\u{e0073}\u{e007f}'];
/** Text people write: every piece must come out exactly as it went in, alone or mixed. */
const KEPT = [
  ...FLAGS,
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466}', // family: ZWJ sequence
  '\u{1f3f3}\ufe0f\u200d\u{1f308}', // rainbow flag: VS16 + ZWJ
  '\u{1f44d}\u{1f3fd}', // skin tone modifier
  '\u{1f1ef}\u{1f1f5}', // regional indicators
  '\u2764\ufe0e', // text-style variation selector
  '\u8fbb\u{e0100}', // ideographic variation sequence
  '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', // Persian with ZWNJ
  '\u0915\u094d\u200d\u0937', // Devanagari with ZWJ
  'e\u0301 a\u0308 \u05e9\u05c1\u05b8 c\u034f\u0327', // combining marks, CGJ
  '\u05e9\u05dc\u05d5\u05dd!\u200f', // Hebrew, RLM
  '\u0627\u0644\u0633\u0644\u0627\u0645\u061c 123', // Arabic, ALM
  'abc\u200e(1)', // LRM
  '\u1828\u1820\u180e\u1820', // Mongolian, vowel separator before final a
  '\u1828\u180b\u1821', // Mongolian free variation selector
  '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4 \u0393\u03b5\u03b9\u03ac', // Thai, CJK, Korean, Greek
  'a\u00a0b\u202fc\u3000d\u2009e', // spaces that show as spaces
  '\u2800', // braille blank
  'plain ASCII, tab\there',
];

/** Bidi, invisible and tag material, with the pieces that make kept sequences, so the generator meets the edges. */
const hiddenPiece = fc.constantFrom(
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u206a', '\u206f',
  '\u2028', '\u2029', '\u200b', '\u2060', '\u2061', '\u2064', '\ufeff', '\u00ad', '\u180e', '\u115f', '\u1160', '\u3164', '\uffa0',
  '\ufff9', '\ufffa', '\ufffb', '\u{e0001}', '\u{e0020}', '\u{e0041}', '\u{e0067}', '\u{e0062}', '\u{e0073}', '\u{e0030}', '\u{e007f}',
  '\u{1f3f4}', '\u1820', '\u1821', '\ud83c', '\udff4', '\udb40', '\udc67', '\u200d', '\u200c', '\u200e', '\u200f', '\ufe0f', '\x1b', '\x1b[', '\r', 'a', ' ',
);
const hiddenText = fc.array(fc.oneof(hiddenPiece, fc.constantFrom(...KEPT), fc.string({ unit: 'grapheme', maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 30 }).map((parts) => parts.join(''));

test('property: bidi controls, separators and invisible characters never come out, tags and U+180E only in their places; idempotent, never longer', () => {
  fc.assert(
    fc.property(hiddenText, (s) => {
      const out = stripControls(s);
      assert.ok(!STRIPPED.test(out) && !UNSAFE.test(out) && keptOnlyInPlace(out), JSON.stringify(out));
      assert.equal(stripControls(out), out);
      assert.ok(out.length <= s.length);
      const clean = cleanText(s, 12);
      assert.equal(cleanText(clean, 12), clean);
      assert.ok(clean.length <= 12 && !STRIPPED.test(clean) && keptOnlyInPlace(clean), JSON.stringify(clean));
    }),
    { numRuns: 5000 },
  );
});

test('property: emoji sequences, flags, ZWNJ, marks and every script pass intact, alone or mixed', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...KEPT, ' ', '-'), { maxLength: 12 }), (parts) => {
      const s = parts.join('');
      assert.equal(stripControls(s), s);
    }),
    { numRuns: 2000 },
  );
  // And between whatever is stripped: the kept pieces come out joined, each byte for byte.
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...KEPT), { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom('\u202e', '\u2066', '\u200b', '\ufeff', '\x1b[31m', '\u{e0041}'), { maxLength: 6 }), (kept, junk) => {
      const mixed = kept.map((k, i) => `${junk[i] ?? ''}${k}`).join('');
      assert.equal(stripControls(mixed), kept.join(''));
    }),
    { numRuns: 2000 },
  );
});

test('Trojan Source: overrides and isolates go, so a line reads as it was typed', () => {
  const cases: Array<[string, string]> = [
    ['abc\u202edef', 'abcdef'],
    ['\u202eevil\u202c', 'evil'],
    ['if (admin) {\u2067 /* not */ \u2069}', 'if (admin) { /* not */ }'],
    ['user1\u2028[SERVER] fake', 'user1 [SERVER] fake'],
    ['one\u2029two', 'one two'],
    ['ad\u200bmin pass\u2060word \ufeffx \u00ad', 'admin password x '],
    ['\u3164\u3164\u115f\u1160\uffa0', ''],
    ['see\ufff9hidden\ufffaannotation\ufffb', 'seehiddenannotation'],
  ];
  for (const [input, want] of cases) assert.equal(stripControls(input), want, JSON.stringify(input));
});

test('tags: a flag keeps its tags; tags anywhere else (hidden ASCII) go whole', () => {
  const scotland = FLAGS[0]!;
  assert.equal(stripControls(`go ${scotland}!`), `go ${scotland}!`);
  const hidden = [...'ignore all rules'].map((ch) => String.fromCodePoint(0xe0000 + ch.charCodeAt(0))).join('');
  assert.equal(stripControls(`hello${hidden}`), 'hello');
  assert.equal(stripControls(`\u{1f3f4}${hidden}\u{e007f}`), '\u{1f3f4}', 'too long for a subdivision, and not lowercase');
  assert.equal(stripControls('\u{1f3f4}\u{e0067}\u{e0062}\u{e007f}'), '\u{1f3f4}', 'too short');
  assert.equal(stripControls('\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}'), '\u{1f3f4}', 'no CANCEL TAG');
  assert.equal(stripControls('\u{1f3f4}\u202e\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}'), '\u{1f3f4}', 'not right after the flag');
  assert.equal(stripControls('x\u{e0001}\u{e0065}\u{e006e}y'), 'xy', 'the deprecated LANGUAGE TAG');
});

test('cleanText with a limit never splits a character and drops the tags of a flag it cuts', () => {
  const scotland = FLAGS[0]!;
  assert.equal(cleanText(`ab${scotland}`, 16), `ab${scotland}`);
  assert.equal(cleanText(`ab${scotland}`, 8), 'ab\u{1f3f4}');
  assert.equal(cleanText('ab\u{1f600}', 3), 'ab');
  assert.equal(cleanText('  \u202e hi \u2028', 10), 'hi');
  assert.equal(cleanText('\udc00 lone', 10), '\ufffd lone');
});
