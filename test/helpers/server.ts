import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { once } from 'node:events';
import { WAIT_MS } from './wait.js';

/** Absolute path of the compiled server entry (tests run from dist/test/...). */
export const SERVER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'server', 'main.js');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface ServerProc {
  readonly proc: ChildProcess;
  readonly host: string;
  readonly port: number;
  /** Every stdout/stderr line printed so far. */
  readonly lines: string[];
  /** Resolves with the first line (already printed or still to come) matching `re`. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends the signal (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** Runs the server under `ulimit -n N` (through sh -c): its open-file limit, soft and hard. */
  fileLimit?: number;
  /**
   * Runs the server under `ulimit -f` of this many KiB: a file it writes cannot grow past that
   * (EFBIG; Node ignores SIGXFSZ), a full disk that even root cannot write past.
   */
  readonly fileSizeLimitKiB?: number;
}

/**
 * Starts the real server as a child process on 127.0.0.1 with port 0 (any free port) and resolves
 * once it prints `Chat server running on HOST:PORT`. Extra CLI args are passed through.
 */
export async function startServer(args: string[] = [], env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}, main: string = SERVER_MAIN): Promise<ServerProc> {
  // The web listener only where a test asks for it (--http-port 0), never on the fixed default port.
  const web = args.includes('--http-port') ? [] : ['--http-port', 'off'];
  // Likewise the IRC listener (default 6667): only where a test asks for it (--irc-port 0).
  if (!args.includes('--irc-port')) web.push('--irc-port', 'off');
  const argv = [main, '--host', '127.0.0.1', '--port', '0', ...web, ...args];
  // exec keeps one process (the pid is node's), so stop() signals the server itself. sh's ulimit -f
  // counts 512-byte blocks.
  const limits = [opts.fileLimit === undefined ? '' : `ulimit -n ${opts.fileLimit} && `, opts.fileSizeLimitKiB === undefined ? '' : `ulimit -f ${opts.fileSizeLimitKiB * 2} && `].join('');
  const [cmd, cmdArgs]: [string, string[]] = limits === '' ? [process.execPath, argv] : ['sh', ['-c', `${limits}exec "$0" "$@"`, process.execPath, ...argv]];
  const proc = spawn(cmd, cmdArgs, {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  const onData = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        for (let w = waiters.length - 1; w >= 0; w--) {
          const waiter = waiters[w]!;
          if (waiter.re.test(line)) {
            waiters.splice(w, 1);
            waiter.resolve(line);
          }
        }
      }
    });
  };
  onData(proc.stdout!);
  onData(proc.stderr!);
  // A test that fails before stopping its server must not leave the test file hanging on the child:
  // the child does not hold the event loop open, and it is killed when the test process exits.
  proc.unref();
  (proc.stdout as unknown as { unref?: () => void }).unref?.();
  (proc.stderr as unknown as { unref?: () => void }).unref?.();
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const exited = once(proc, 'exit').then(([code]) => code as number | null);

  const waitForLog = (re: RegExp, timeoutMs = WAIT_MS): Promise<string> => {
    const found = lines.find((l) => re.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server never logged ${re}; log:\n${lines.join('\n')}`)), timeoutMs);
      waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void exited.then(() => { clearTimeout(timer); reject(new Error(`server exited before logging ${re}; log:\n${lines.join('\n')}`)); });
    });
  };

  const banner = await waitForLog(/^Chat server running on /);
  const m = /on (.+):(\d+)$/.exec(banner);
  if (!m) throw new Error(`bad banner: ${banner}`);
  return {
    proc,
    host: m[1]!,
    port: Number(m[2]),
    lines,
    waitForLog,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.ref(); // keep the test process alive until the child has really exited
        proc.kill(signal);
      }
      return exited;
    },
  };
}

/**
 * Runs the server expecting it to refuse to start; resolves with its exit code, stderr and stdout.
 * `main`: another build of the entry point (a copy of the package tree missing something).
 */
export async function failedStart(args: string[], main: string = SERVER_MAIN): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const proc = spawn(process.execPath, [main, '--host', '127.0.0.1', '--port', '0', '--http-port', 'off', '--irc-port', 'off', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  // 'close', not 'exit': it comes after both pipes are read to the end.
  const [code] = (await once(proc, 'close')) as [number | null];
  return { code, stderr, stdout };
}
