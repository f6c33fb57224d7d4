import { createInterface, moveCursor, cursorTo, clearScreenDown, type Interface } from 'node:readline';
import type { Socket } from 'node:net';
import type { ReadStream, WriteStream } from 'node:tty';
import type { ClientOptions } from './args.js';
import { Session, LEAVE_LINE } from './session.js';
import { LoginInput } from './login-input.js';
import { renderLine } from './render.js';

export interface TtyStreams {
  readonly input: ReadStream;
  readonly output: WriteStream;
}

const PROMPT = '> ';

/**
 * Interactive mode on a terminal. Login prompts come from the server; a password is read without
 * echo (LoginInput). After login a readline input line sits at the bottom; each incoming line is
 * printed above it without disturbing what the user is typing.
 *
 * Resolves with the exit code: 0 after `exit`, `/quit`, Ctrl-D or Ctrl-C; 1 when login is refused or
 * the server closes the connection on its own.
 */
export function runTtyUi(socket: Socket, options: ClientOptions, io: TtyStreams, color: boolean): Promise<number> {
  return new Promise((resolve) => {
    new TtyUi(socket, options, io, color, resolve);
  });
}

/** One run of the terminal UI: the login prompts, then the chat input line; `done` gets the exit code. */
class TtyUi {
  private finished = false;
  private chat: Interface | null = null;
  private quitting = false;
  private readonly input: ReadStream;
  private readonly output: WriteStream;
  private readonly login: LoginInput;
  private readonly session: Session;

  constructor(socket: Socket, options: ClientOptions, io: TtyStreams, private readonly color: boolean, private readonly done: (code: number) => void) {
    this.input = io.input;
    this.output = io.output;
    this.login = new LoginInput(this.input, this.output, () => this.quit(false));
    this.session = new Session(socket, options, {
      ask: (field, prompt) => {
        this.output.write(prompt);
        return this.login.read(field === 'username');
      },
      onEvent: (event) => {
        switch (event.type) {
          case 'welcome':
            this.show(event.text);
            this.startChat();
            break;
          case 'line':
            this.show(event.text);
            break;
          case 'refused':
            this.show(event.text);
            this.finish(1);
            break;
          case 'closed':
            if (!event.byUs) {
              this.closeChat(true);
              this.show('Connection to server lost.');
            }
            this.finish(event.byUs ? 0 : 1);
            break;
        }
      },
    });
  }

  /** Erases the prompt and the typed text (which may wrap over several rows); cursor ends at its start. */
  private eraseInputLine(rl: Interface): number {
    const rows = rl.getCursorPos().rows;
    moveCursor(this.output, 0, -rows);
    cursorTo(this.output, 0);
    clearScreenDown(this.output);
    return rows;
  }

  /** Prints a line above the input line, then redraws the prompt and typed text, cursor where it was. */
  private show(text: string): void {
    const line = renderLine(text, this.color);
    if (this.chat === null) {
      this.output.write(`${line}\n`);
      return;
    }
    const rows = this.eraseInputLine(this.chat);
    // readline's redraw first moves up as many rows as the cursor was below the prompt's start,
    // so leave that many rows below the printed line for it to move back over.
    this.output.write(`${line}\n${'\n'.repeat(rows)}`);
    this.chat.prompt(true);
  }

  /** Closes the chat input line. `erase`: remove the prompt and unsent text from the screen. */
  private closeChat(erase: boolean): void {
    const rl = this.chat;
    if (rl === null) return;
    this.chat = null;
    if (erase) this.eraseInputLine(rl);
    rl.close();
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.closeChat(true);
    this.login.stop();
    if (this.input.isRaw) this.input.setRawMode(false);
    this.input.pause();
    this.done(code);
  }

  /** Leaves on the user's request; `erase` when the input line still shows unsent text. */
  private quit(erase: boolean): void {
    if (this.quitting) return;
    this.quitting = true;
    this.closeChat(erase);
    void this.session.leave();
  }

  private startChat(): void {
    const typedEarly = this.login.stop();
    const rl = createInterface({ input: this.input, output: this.output, terminal: true, prompt: PROMPT, historySize: 200 });
    this.chat = rl;
    rl.on('line', (line) => {
      const text = line.trim();
      if (LEAVE_LINE.test(text)) {
        this.quit(false);
        return;
      }
      if (text !== '') this.session.send(line);
      rl.prompt();
    });
    rl.on('SIGINT', () => this.quit(true));
    // Ctrl-D on an empty line closes the interface; our own close() has already cleared `chat`.
    rl.on('close', () => { if (this.chat === rl) this.quit(true); });
    rl.prompt();
    if (typedEarly !== '') rl.write(typedEarly);
  }
}
