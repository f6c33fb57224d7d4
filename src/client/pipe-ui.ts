import { createInterface } from 'node:readline';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { ClientOptions } from './args.js';
import { Session, type PromptField } from './session.js';

export interface PipeStreams {
  readonly input: Readable & { readonly isTTY?: boolean };
  /** Chat output: the welcome line and every server line after it, plain. */
  readonly output: Writable;
  /** The client's own notices and errors, and what the server said before login succeeded. */
  readonly errors: Writable;
}

/**
 * Non-interactive mode, for pipes and scripts. Login answers the options do not give are read from
 * the first input lines (username, then password). After login each non-blank input line is sent
 * as a message; at the end of input the client leaves (see Session.leave) and exits 0.
 *
 * Resolves with the exit code: 0 after leaving, 1 when login is refused, the input ends before
 * the login answers, or the server closes the connection on its own.
 */
export function runPipeUi(socket: Socket, options: ClientOptions, io: PipeStreams): Promise<number> {
  return new Promise((resolve) => {
    let finished = false;
    /** Exit code to report when we leave on purpose; non-zero when login could not be completed. */
    let leaveCode = 0;
    const queued: string[] = [];
    let inputEnded = false;
    let wake: (() => void) | null = null;

    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      input.close();
      resolve(code);
    };

    const sendLine = (line: string): void => {
      if (line.trim() !== '') session.send(line);
    };

    const ask = async (field: PromptField): Promise<string | null> => {
      if (field === 'password' && io.input.isTTY) {
        // Reading it from a terminal without a terminal UI would echo it.
        io.errors.write('chat-client: give the password with --password-file or CHAT_PASSWORD when output is not a terminal.\n');
        leaveCode = 1;
        return null;
      }
      while (queued.length === 0 && !inputEnded) await new Promise<void>((r) => { wake = r; });
      const answer = queued.shift();
      if (answer === undefined) {
        io.errors.write(`chat-client: input ended before the ${field} was given.\n`);
        leaveCode = 1;
        return null;
      }
      return answer;
    };

    const session = new Session(socket, options, {
      ask,
      onEvent(event) {
        switch (event.type) {
          case 'welcome':
            io.output.write(`${event.text}\n`);
            for (const line of queued.splice(0)) sendLine(line);
            if (inputEnded) void session.leave();
            break;
          case 'line':
            (session.loggedIn ? io.output : io.errors).write(`${event.text}\n`);
            break;
          case 'refused':
            io.errors.write(`${event.text}\n`);
            finish(1);
            break;
          case 'closed':
            if (!event.byUs) io.errors.write('Connection to server lost.\n');
            finish(event.byUs ? leaveCode : 1);
            break;
        }
      },
    });

    const input = createInterface({ input: io.input, crlfDelay: Infinity, terminal: false });
    input.on('line', (line) => {
      if (session.loggedIn) sendLine(line);
      else {
        queued.push(line);
        wake?.();
      }
    });
    input.on('close', () => {
      if (finished) return;
      inputEnded = true;
      wake?.();
      if (session.loggedIn) void session.leave();
    });
  });
}
