import { startServer, type ServerProc, type StartOptions } from './server.js';
import { freePort } from './redis.js';

/**
 * Starts the server with metrics on a free port. Another process (a parallel test file) can take
 * the port between freePort() and the server's listen; then the server exits ("is in use") and
 * a new port is tried. `--metrics-port 0` means off, so the server cannot pick one itself.
 */
export async function startWithMetrics(args: string[], env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<{ server: ServerProc; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { server: await startServer([...args, '--metrics-port', String(port)], env, opts), port };
    } catch (err: unknown) {
      if (attempt >= 5 || !/is in use|EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

/** The value of one sample (`name{labels}` exactly as exposed, e.g. `x_total{store="sqlite"}`) at /metrics, or undefined. */
export async function metric(port: number, sample: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
