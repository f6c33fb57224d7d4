import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../core/limits.js';
import { nameProblem } from '../core/names.js';

export interface ClientOptions {
  readonly host: string;
  readonly port: number;
  /** Answers the server's username prompt; asked for locally when absent. */
  readonly user?: string;
  /** Answers the password prompt; asked for locally when absent. */
  readonly password?: string;
  readonly tls: boolean;
  /** PEM contents of --ca, trusted instead of the system's CAs. */
  readonly ca?: string;
  /** Accept any server certificate (--insecure). */
  readonly insecure: boolean;
  readonly noColor: boolean;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: ClientOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: chat-client [options]

Connects to a chat server and opens an interactive chat. When standard input is not a
terminal, each input line is sent as a message and each line from the server is printed;
at the end of input the client leaves the chat and exits.

Options:
  --host HOST           server address (default ${DEFAULTS.host}, or env CHAT_HOST)
  --port PORT           server port (default ${DEFAULTS.port}, or env CHAT_PORT)
  --user NAME           log in as NAME instead of asking (1-32 letters, digits, _ or -)
  --password-file FILE  read the password from the first line of FILE instead of asking
                        (env CHAT_PASSWORD also works; the file wins)
  --tls                 connect with TLS
  --ca FILE             trust the CA certificate(s) in FILE (PEM) for --tls
  --insecure            with --tls, accept any server certificate (testing only)
  --no-color            never colour output (also when NO_COLOR is set, or output is not a terminal)
  -h, --help            show this help and exit
  -V, --version         show the version and exit

In the chat:
  <text>                send to everyone in your room
  @NAME <text>          private message to NAME
  /help                 list the server's commands (/who, /rooms, /join ROOM, /me ACTION, ...)
  exit, /quit, Ctrl-D, Ctrl-C   leave the chat

Exit status: 0 after leaving normally, 1 when login is refused or the connection fails or
is lost, 2 for bad options.
`;

function parsePort(text: string, source: string): number | string {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `${source} must be a port number from 1 to 65535 (got "${text}").`;
  return n;
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

function readText(file: string, option: string): string | { error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (err: unknown) {
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code ?? '' : '';
    const why = FILE_PROBLEMS[code] ?? (err instanceof Error ? err.message : String(err));
    return { error: `cannot read ${option} ${file}: ${why}.` };
  }
}

/** parseArgs' messages run to several sentences of advice; one plain sentence is enough. */
function optionProblem(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  // The option as the user wrote it; parseArgs quotes a short alias first, as in '-h, --help'.
  const quoted = /'(?:-\w, )?([^' ]+)/.exec(err.message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${quoted}.`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return err.message.includes('does not take an argument') ? `${quoted} takes no value.` : `${quoted} needs a value.`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${quoted}; every option starts with --.`;
  return err.message.split('\n', 1)[0]!;
}

/**
 * Turns argv (without node and script) and the environment into options. Command-line options win
 * over environment variables. Never exits or prints: the caller reports errors.
 */
export function parseClientArgs(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        tls: { type: 'boolean' },
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    }));
  } catch (err: unknown) {
    return { kind: 'error', message: optionProblem(err) };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const host = values.host ?? (env['CHAT_HOST'] || DEFAULTS.host);
  if (host === '') return { kind: 'error', message: '--host must not be empty.' };

  let port: number = DEFAULTS.port;
  if (values.port !== undefined) {
    const p = parsePort(values.port, '--port');
    if (typeof p === 'string') return { kind: 'error', message: p };
    port = p;
  } else if (env['CHAT_PORT']) {
    const p = parsePort(env['CHAT_PORT'], 'CHAT_PORT');
    if (typeof p === 'string') return { kind: 'error', message: p };
    port = p;
  }

  if (values.user !== undefined) {
    const user = values.user.trim();
    if (user === '') return { kind: 'error', message: '--user must not be empty.' };
    // The server trims and checks the name with the same rule; a name it refuses would be sent
    // again at every prompt until it hangs up, so refuse it here before connecting.
    const problem = nameProblem(user);
    if (problem !== null) return { kind: 'error', message: `--user: ${problem}` };
  }

  let password = env['CHAT_PASSWORD'] || undefined;
  if (values['password-file'] !== undefined) {
    const text = readText(values['password-file'], '--password-file');
    if (typeof text !== 'string') return { kind: 'error', message: text.error };
    password = text.split(/\r?\n/, 1)[0] ?? '';
  }

  const tls = values.tls ?? false;
  if (!tls && (values.ca !== undefined || values.insecure)) {
    return { kind: 'error', message: '--ca and --insecure only apply with --tls.' };
  }
  let ca: string | undefined;
  if (values.ca !== undefined) {
    const text = readText(values.ca, '--ca');
    if (typeof text !== 'string') return { kind: 'error', message: text.error };
    ca = text;
  }

  const options: ClientOptions = {
    host,
    port,
    tls,
    insecure: values.insecure ?? false,
    noColor: values['no-color'] ?? false,
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
  return { kind: 'run', options };
}
