/**
 * Makes user text safe to show: on a terminal, in an IRC client, in a browser, in the log. The server
 * applies it to all user text before relaying it (so nobody can clear, recolour or rewrite another
 * user's terminal, forge a line with CR/LF, or make a line read as something it is not), and the
 * terminal client applies it again to everything it prints (the server might not be ours).
 *
 * Contract:
 * - Terminal controls go: no C0 control character except TAB (U+0009), no DEL (U+007F), no C1
 *   control (U+0080–U+009F), so nothing can move the cursor, clear the screen, change colours, set
 *   the window title or start a new line. Escape sequences go whole (not just their ESC), so
 *   `\x1b[2J` leaves no stray `[2J`.
 * - Characters that reorder text go ("Trojan Source"): the bidi embeddings and overrides
 *   U+202A–U+202E and the isolates U+2066–U+2069 open a scope in which letters are shown in another
 *   order than they were typed, so `abc RLO def` reads `abc fed` and a line can show what it does
 *   not say. The deprecated format characters U+206A–U+206F (symmetric swapping, Arabic shaping,
 *   digit shapes) go with them: invisible switches that change how the rest of a line looks.
 * - U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR become a space: they start a new line
 *   (and a new bidi paragraph) in some clients, which would let a line forge a second line.
 * - Invisible characters that no writing system spells with go: U+200B ZERO WIDTH SPACE, U+2060
 *   WORD JOINER and U+2061–U+2064 (invisible maths operators), U+FEFF (BOM / zero width no-break
 *   space), U+00AD SOFT HYPHEN, the interlinear annotation marks U+FFF9–U+FFFB (some renderers hide
 *   the annotated text), and the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 (blank letters: a
 *   line of them looks empty; Korean is written with syllables, and only archaic conjoining-jamo
 *   text loses a filler, still readable). Their only effect is to hide something: to make two
 *   different texts look the same, split a word a filter or a reader would catch, or send a line
 *   that looks blank. Removing them changes at most where a line may wrap.
 * - Tag characters (U+E0000–U+E007F) are invisible ASCII: they could carry a hidden message. They
 *   stay only as the tags of an emoji flag (UTS #51 tag sequence): U+1F3F4 WAVING BLACK FLAG, then
 *   3–7 tags spelling a subdivision (digits, lowercase letters: `gbsct` is Scotland), then U+E007F
 *   CANCEL TAG. Any other run of tags goes whole.
 * - U+180E MONGOLIAN VOWEL SEPARATOR stays only where Mongolian spells with it, before the final
 *   vowel U+1820 (a) or U+1821 (e), whose shape it selects; anywhere else it is just invisible.
 * - A lone UTF-16 surrogate becomes U+FFFD, as UTF-8 encoding would make it anyway (so removing a
 *   character can never join two halves into a new one, and the result is well formed).
 * - Everything else stays, as typed, in every script: emoji and their ZWJ sequences (U+200D, which
 *   also shapes Indic and Arabic text), ZWNJ (U+200C, needed by Persian and Indic spelling), the
 *   variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF: emoji or text style, CJK glyph variants),
 *   the Mongolian free variation selectors, combining marks (U+034F COMBINING GRAPHEME JOINER
 *   among them), every space that shows as one. And the direction marks LRM (U+200E), RLM
 *   (U+200F) and ALM (U+061C): each is an invisible letter with a direction and no scope, so it
 *   cannot reorder letters (strong text keeps its order around it) and its effect ends with the
 *   line; it only decides which side a neutral character (a `!`, a space, a bracket) sits on, which
 *   is what a Hebrew or Arabic writer needs when a sentence ends in punctuation inside our
 *   left-to-right lines. Anything an attacker can do with one they can do by typing a letter.
 * - Idempotent, and never longer than its input (in UTF-16 units). Text with none of the above
 *   comes back as the very same string.
 */

const ESC = 0x1b;
const BEL = 0x07;
const TAB = 0x09;
/** 8-bit forms of the sequence introducers and of the String Terminator. */
const C1_DCS = 0x90;
const C1_SOS = 0x98;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_OSC = 0x9d;
const C1_PM = 0x9e;
const C1_APC = 0x9f;

/**
 * Skips a control sequence body (parameter and intermediate bytes, then one final byte) starting at
 * `i`; returns the index after it. A body cut short by any other character ends where it was cut.
 */
function skipCsi(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x3f) i++;
    else return c >= 0x40 && c <= 0x7e ? i + 1 : i;
  }
  return i;
}

/**
 * Skips a control string (OSC, DCS, SOS, PM, APC) starting at `i` up to and including its terminator
 * (BEL, ESC \ or 8-bit ST). An unterminated string runs to the end of the text, as a terminal would
 * swallow it.
 */
function skipString(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BEL || c === C1_ST) return i + 1;
    if (c === ESC && text.charCodeAt(i + 1) === 0x5c) return i + 2;
    i++;
  }
  return i;
}

/** Skips what follows an ESC at `i - 1`; returns the index of the first character kept. */
function skipEscape(text: string, i: number): number {
  if (i >= text.length) return i;
  const c = text.charCodeAt(i);
  if (c === 0x5b) return skipCsi(text, i + 1); // ESC [
  if (c === 0x5d || c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) return skipString(text, i + 1); // ESC ] P X ^ _
  if (c >= 0x20 && c <= 0x2f) {
    // ESC, intermediates, final byte (e.g. ESC ( B selects a character set).
    while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
    const f = text.charCodeAt(i);
    return f >= 0x30 && f <= 0x7e ? i + 1 : i;
  }
  if (c >= 0x30 && c <= 0x7e) return i + 1; // two-character sequences such as ESC c (reset) or ESC 7
  return i; // a lone ESC: drop just the ESC
}

/**
 * Whether a BMP character (not a surrogate, at least U+00A0) may be one that goes: a cheap first
 * test on the hot path, true only for the few code points the contract names.
 */
function mayGo(c: number): boolean {
  if (c < 0x2000) return c === 0xad || c === 0x115f || c === 0x1160 || c === MVS;
  if (c < 0x3000) return c === 0x200b || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f);
  return c === 0x3164 || c === 0xfeff || c === 0xffa0 || (c >= 0xfff9 && c <= 0xfffb);
}

const MVS = 0x180e;
const LINE_SEPARATOR = 0x2028;
const PARAGRAPH_SEPARATOR = 0x2029;
/** U+E0000–U+E007F are U+DB40 followed by U+DC00–U+DC7F; the tags proper start at U+E0020. */
const TAGS_HIGH = 0xdb40;
const TAG_FIRST_LOW = 0xdc20;
const TAG_LAST_LOW = 0xdc7f;
const CANCEL_TAG_LOW = 0xdc7f;
/** U+1F3F4 WAVING BLACK FLAG, the base of the flag tag sequences. */
const FLAG_HIGH = 0xd83c;
const FLAG_LOW = 0xdff4;

/**
 * The end of the run of tag characters (U+E0020–U+E007F) starting at `i`: a CANCEL TAG ends a run,
 * so tags straight after a flag are judged on their own and cannot spoil the flag.
 */
function tagRunEnd(text: string, i: number): number {
  while (text.charCodeAt(i) === TAGS_HIGH) {
    const low = text.charCodeAt(i + 1);
    if (!(low >= TAG_FIRST_LOW && low <= TAG_LAST_LOW)) break;
    i += 2;
    if (low === CANCEL_TAG_LOW) break;
  }
  return i;
}

/**
 * Whether the tags in [i, end) are an emoji flag's: right after U+1F3F4, 3–7 tag digits or
 * lowercase letters, then CANCEL TAG.
 */
function isFlagTags(text: string, i: number, end: number): boolean {
  const count = (end - i) / 2;
  if (count < 4 || count > 8 || text.charCodeAt(i - 2) !== FLAG_HIGH || text.charCodeAt(i - 1) !== FLAG_LOW) return false;
  if (text.charCodeAt(end - 1) !== CANCEL_TAG_LOW) return false;
  for (let k = i + 1; k < end - 2; k += 2) {
    const low = text.charCodeAt(k);
    const alnum = (low >= 0xdc30 && low <= 0xdc39) || (low >= 0xdc61 && low <= 0xdc7a);
    if (!alnum) return false;
  }
  return true;
}

export function stripControls(text: string): string {
  let out = '';
  let kept = 0; // start of the run of safe characters not yet copied to `out`
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      i++;
      continue;
    }
    if (c < 0xa0) {
      // C0, DEL or C1: only TAB stays.
      if (c === TAB) {
        i++;
        continue;
      }
      out += text.slice(kept, i);
      if (c === ESC) i = skipEscape(text, i + 1);
      else if (c === C1_CSI) i = skipCsi(text, i + 1);
      else if (c === C1_OSC || c === C1_DCS || c === C1_SOS || c === C1_PM || c === C1_APC) i = skipString(text, i + 1);
      else i++;
      kept = i;
      continue;
    }
    if (c < 0xd800 || c > 0xdfff) {
      // The vowel separator is kept before the final a/e, which is never removed: idempotent.
      if (!mayGo(c) || (c === MVS && (text.charCodeAt(i + 1) === 0x1820 || text.charCodeAt(i + 1) === 0x1821))) {
        i++;
        continue;
      }
      out += text.slice(kept, i) + (c === LINE_SEPARATOR || c === PARAGRAPH_SEPARATOR ? ' ' : '');
      kept = ++i;
      continue;
    }
    const low = text.charCodeAt(i + 1); // NaN past the end
    if (c >= 0xdc00 || !(low >= 0xdc00 && low <= 0xdfff)) {
      out += `${text.slice(kept, i)}\ufffd`;
      kept = ++i;
      continue;
    }
    if (c !== TAGS_HIGH || low > TAG_LAST_LOW) {
      i += 2;
      continue;
    }
    // U+E0000–U+E007F: a flag's tags stay whole; any other run of tags (or U+E0000–U+E001F) goes.
    const end = low >= TAG_FIRST_LOW ? tagRunEnd(text, i) : i + 2;
    if (low >= TAG_FIRST_LOW && isFlagTags(text, i, end)) {
      i = end;
      continue;
    }
    out += text.slice(kept, i);
    i = kept = end;
  }
  return kept === 0 ? text : out + text.slice(kept);
}

/**
 * User text as the chat relays it: stripped (stripControls), then trimmed; with `max`, cut to at
 * most that many UTF-16 units without splitting a character, and stripped again so that a flag cut
 * in its tags loses the tags rather than leaving invisible ones behind.
 */
export function cleanText(raw: string, max = Infinity): string {
  const text = stripControls(raw).trim();
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const cut = text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
  return stripControls(cut).trim();
}
