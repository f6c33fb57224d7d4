/**
 * Splits the text a chat server sends into lines and login prompts.
 *
 * Every server line ends in LF (a CR before it is dropped), except the login prompts
 * (`Enter username: `, `Enter password: `), which end in a space and no newline, so a prompt is
 * recognised as an unterminated tail while the caller says prompts are expected (during login).
 */

export type PromptField = 'username' | 'password';

export type ServerText =
  | { readonly type: 'line'; readonly text: string }
  | { readonly type: 'prompt'; readonly field: PromptField; readonly text: string };

const PROMPTS: ReadonlyArray<{ field: PromptField; re: RegExp }> = [
  { field: 'username', re: /username: ?$/i },
  { field: 'password', re: /password: ?$/i },
];

/** A server that never ends its line is cut here rather than buffered without bound. */
const MAX_UNTERMINATED = 64 * 1024;

export class ServerTextSplitter {
  private buffer = '';

  /** Feeds decoded text; returns what it completes, in order. */
  push(chunk: string, expectPrompts: boolean): ServerText[] {
    this.buffer += chunk;
    const out: ServerText[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      out.push({ type: 'line', text: this.buffer.slice(0, nl).replace(/\r$/, '') });
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (expectPrompts && this.buffer !== '') {
      const prompt = PROMPTS.find((p) => p.re.test(this.buffer));
      if (prompt) {
        out.push({ type: 'prompt', field: prompt.field, text: this.buffer });
        this.buffer = '';
      }
    }
    if (this.buffer.length > MAX_UNTERMINATED) {
      out.push({ type: 'line', text: this.buffer });
      this.buffer = '';
    }
    return out;
  }

  /** At the end of the stream: an unterminated last line, if any. */
  end(): ServerText[] {
    const rest = this.buffer;
    this.buffer = '';
    return rest === '' ? [] : [{ type: 'line', text: rest.replace(/\r$/, '') }];
  }
}
