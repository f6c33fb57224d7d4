/**
 * `chat-client` entry point: parses options, connects, and runs the terminal UI when both standard
 * input and output are terminals, else the line-by-line pipe mode.
 */
import { readFileSync } from 'node:fs';
import { parseClientArgs, USAGE } from './args.js';
import { openConnection } from './connection.js';
import { shouldColor } from './render.js';
import { runTtyUi } from './tty-ui.js';
import { runPipeUi } from './pipe-ui.js';

function version(): string {
  // dist/src/client/main.js -> package.json at the project root.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const v = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof v === 'string' ? v : 'unknown';
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseClientArgs(argv, env);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`chat-client ${version()}\n`);
      return 0;
    case 'error':
      process.stderr.write(`chat-client: ${parsed.message}\nTry 'chat-client --help'.\n`);
      return 2;
    case 'run':
      break;
  }
  const options = parsed.options;
  let socket;
  try {
    socket = await openConnection(options);
  } catch (err: unknown) {
    process.stderr.write(`chat-client: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (process.stdin.isTTY && process.stdout.isTTY) {
    return runTtyUi(socket, options, { input: process.stdin, output: process.stdout }, shouldColor(true, options.noColor, env));
  }
  return runPipeUi(socket, options, { input: process.stdin, output: process.stdout, errors: process.stderr });
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    // Exit explicitly: a half-read stdin would otherwise keep the process alive. The empty write
    // lets anything already queued on stdout go first.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`chat-client: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
