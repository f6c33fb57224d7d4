/**
 * Removes what could rewrite someone else's terminal or forge a line: ESC and every other C0 control
 * except TAB (this includes CR and LF), DEL, and C1 controls (U+0080–U+009F, which some terminals
 * treat as CSI/OSC introducers). Applied by the server to all user text before it is relayed.
 * Whole escape sequences are removed, not just their ESC byte, so `ESC[2J` leaves nothing visible.
 */
// CSI (ESC [ or U+009B ... final byte), OSC/DCS/SOS/PM/APC strings up to BEL or ST, two-byte ESC sequences.
const SEQUENCES = /(?:\x1b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\x1b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\x07\x1b\u009c]*(?:\x07|\x1b\\|\u009c)?|\x1b[ -/]*[0-~]?/g;
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\u009f]/g;
const HAS_UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\u009f]/;

export function stripControls(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(SEQUENCES, '').replace(CONTROLS, '');
}
