import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { onCleanup } from './cleanup.js';

/** Child processes the bench starts as targets (our server, Redis, IRC daemons): start, wait, stop by pid. */

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export function stopper(proc: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    // No pid: spawning failed (e.g. ENOENT) and there is no process to wait for.
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  };
}

/** A free loopback port: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve); });
  const a = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (a === null || typeof a !== 'object') throw new Error('could not pick a free port');
  return a.port;
}

/**
 * Starts a daemon in the foreground and waits (≤ 10 s) until `port` on 127.0.0.1 accepts
 * connections; on failure stops it and throws with the end of its output. `stop` ends it by pid
 * (SIGTERM, then SIGKILL after 5 s); it is registered for cleanup from the spawn on.
 */
export async function spawnListening(command: string, args: string[], port: number): Promise<{ pid: number | null; stop: () => Promise<void> }> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Registered at once, so Ctrl-C while it starts stops it too.
  const stopProc = onCleanup(stopper(proc));
  let log = '';
  let spawnError = '';
  proc.once('error', (e) => { spawnError = e.message; });
  const onData = (d: Buffer): void => { log = (log + d.toString('utf8')).slice(-4000); };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await canConnect(port)) break;
    if (proc.exitCode !== null || spawnError !== '' || Date.now() > deadline) {
      await stopProc();
      throw new Error(`${command} did not start on port ${port}: ${spawnError}\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: proc.pid ?? null, stop: stopProc };
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
