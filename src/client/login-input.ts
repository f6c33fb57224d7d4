import { emitKeypressEvents, moveCursor, clearLine } from 'node:readline';
import type { ReadStream, WriteStream } from 'node:tty';
import { stripControls } from '../core/sanitize.js';

interface Key {
  readonly name?: string;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
}

/**
 * Reads the login answers from a terminal in raw mode. The terminal never echoes by itself in raw
 * mode, so a password is never shown, and neither are keys typed before the server's prompt has
 * arrived (they are kept for the next answer). Only an answer read with `echo` is shown as typed.
 * Keys: Enter ends the answer, Backspace and Ctrl-U edit, Ctrl-C (or Ctrl-D on an empty answer)
 * gives up.
 */
export class LoginInput {
  private text = '';
  private readonly typedAhead: string[] = [];
  private echo = false;
  private waiting: ((answer: string | null) => void) | null = null;
  private readonly listener = (str: string | undefined, key: Key | undefined): void => this.onKey(str, key ?? {});

  /** `onAbort` runs when the user gives up while no answer is being asked for. */
  constructor(private readonly input: ReadStream, private readonly output: WriteStream, private readonly onAbort: () => void) {
    emitKeypressEvents(input);
    input.setRawMode(true);
    input.on('keypress', this.listener);
    input.resume();
  }

  /** The next answer, or null when the user gives up. */
  read(echo: boolean): Promise<string | null> {
    this.echo = echo;
    const ready = this.typedAhead.shift();
    if (ready !== undefined) {
      this.output.write(`${echo ? ready : ''}\r\n`);
      return Promise.resolve(ready);
    }
    if (echo) this.output.write(this.text);
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  /**
   * Stops reading keys and leaves the terminal to whoever reads it next (raw mode stays on).
   * Returns what was typed after the last answer and not yet ended with Enter, for the chat input.
   */
  stop(): string {
    this.input.off('keypress', this.listener);
    this.input.pause();
    const rest = this.text;
    this.text = '';
    return rest;
  }

  private shown(): boolean {
    return this.echo && this.waiting !== null;
  }

  private onKey(str: string | undefined, key: Key): void {
    if (key.ctrl && (key.name === 'c' || (key.name === 'd' && this.text === ''))) {
      this.giveUp();
    } else if (key.name === 'return' || key.name === 'enter') {
      this.complete();
    } else if (key.name === 'backspace') {
      const chars = [...this.text];
      if (chars.length === 0) return;
      this.text = chars.slice(0, -1).join('');
      if (this.shown()) this.output.write('\b \b');
    } else if (key.ctrl && key.name === 'u') {
      if (this.shown()) {
        moveCursor(this.output, -[...this.text].length, 0);
        clearLine(this.output, 1);
      }
      this.text = '';
    } else if (!key.ctrl && !key.meta && str !== undefined) {
      // Arrows and other function keys arrive as escape sequences with ctrl/meta or no str.
      const clean = stripControls(str);
      this.text += clean;
      if (this.shown()) this.output.write(clean);
    }
  }

  private complete(): void {
    const answer = this.text;
    this.text = '';
    const waiting = this.waiting;
    if (waiting === null) {
      this.typedAhead.push(answer);
      return;
    }
    this.waiting = null;
    this.output.write('\r\n');
    waiting(answer);
  }

  private giveUp(): void {
    this.output.write('\r\n');
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(null);
    else this.onAbort();
  }
}
