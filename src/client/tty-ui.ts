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
  const { input, output } = io;
  return new Promise((resolve) => {
    let finished = false;
    let chat: Interface | null = null;
    let quitting = false;

    /** Erases the prompt and the typed text (which may wrap over several rows); cursor ends at its start. */
    const eraseInputLine = (rl: Interface): number => {
      const rows = rl.getCursorPos().rows;
      moveCursor(output, 0, -rows);
      cursorTo(output, 0);
      clearScreenDown(output);
      return rows;
    };

    /** Prints a line above the input line, then redraws the prompt and typed text, cursor where it was. */
    const show = (text: string): void => {
      const line = renderLine(text, color);
      if (chat === null) {
        output.write(`${line}\n`);
        return;
      }
      const rows = eraseInputLine(chat);
      // readline's redraw first moves up as many rows as the cursor was below the prompt's start,
      // so leave that many rows below the printed line for it to move back over.
      output.write(`${line}\n${'\n'.repeat(rows)}`);
      chat.prompt(true);
    };

    /** Closes the chat input line. `erase`: remove the prompt and unsent text from the screen. */
    const closeChat = (erase: boolean): void => {
      const rl = chat;
      if (rl === null) return;
      chat = null;
      if (erase) eraseInputLine(rl);
      rl.close();
    };

    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      closeChat(true);
      login.stop();
      if (input.isRaw) input.setRawMode(false);
      input.pause();
      resolve(code);
    };

    /** Leaves on the user's request; `erase` when the input line still shows unsent text. */
    const quit = (erase: boolean): void => {
      if (quitting) return;
      quitting = true;
      closeChat(erase);
      void session.leave();
    };

    const startChat = (): void => {
      const typedEarly = login.stop();
      const rl = createInterface({ input, output, terminal: true, prompt: PROMPT, historySize: 200 });
      chat = rl;
      rl.on('line', (line) => {
        const text = line.trim();
        if (LEAVE_LINE.test(text)) {
          quit(false);
          return;
        }
        if (text !== '') session.send(line);
        rl.prompt();
      });
      rl.on('SIGINT', () => quit(true));
      // Ctrl-D on an empty line closes the interface; our own close() has already cleared `chat`.
      rl.on('close', () => { if (chat === rl) quit(true); });
      rl.prompt();
      if (typedEarly !== '') rl.write(typedEarly);
    };

    const login = new LoginInput(input, output, () => quit(false));
    const session = new Session(socket, options, {
      ask(field, prompt) {
        output.write(prompt);
        return login.read(field === 'username');
      },
      onEvent(event) {
        switch (event.type) {
          case 'welcome':
            show(event.text);
            startChat();
            break;
          case 'line':
            show(event.text);
            break;
          case 'refused':
            show(event.text);
            finish(1);
            break;
          case 'closed':
            if (!event.byUs) {
              closeChat(true);
              show('Connection to server lost.');
            }
            finish(event.byUs ? 0 : 1);
            break;
        }
      },
    });
  });
}
