import { get } from 'node:http';
import { freePort } from './processes.js';
import type { Target } from './targets.js';

/**
 * `--target chat --nodes N` (or `--via-redis`): a throw-away Redis and N of our servers as nodes of
 * one cluster on it, each on its own ports. Clients are dealt round-robin over the nodes (client i
 * to node i mod N), so a room spans every node and a message crosses Redis to reach the clients of
 * the other nodes.
 *
 * Readiness: the bench runs servers with --quiet, which hides the `[CLUSTER] node X seen` lines;
 * instead every node gets a metrics listener and the bench waits until each one's
 * `chat_cluster_peers` gauge (the other nodes it has heard from) reads N - 1 and `chat_cluster_up`
 * reads 1. Only then do clients log in.
 */

/** Most nodes the bench starts: each is a Node.js process competing for the same cores. */
export const MAX_NODES = 16;

/** Longest wait for every node to have seen every other one. */
const READY_MS = 30_000;

/**
 * Starts the bus (Redis), then the nodes, all at once, and waits until they have seen each other.
 * `startNode(flags)` starts one of our servers with these extra flags; `startBus` a Redis. Both
 * register their process for cleanup as soon as it is spawned, so Ctrl-C during the start stops it.
 * The returned target's stop ends the nodes first (each says goodbye on the bus), then Redis.
 */
export async function startCluster(
  nodes: number, startNode: (flags: string[]) => Promise<Target>, startBus: () => Promise<Target>,
): Promise<Target> {
  const bus = await startBus();
  const stopBus = (): Promise<void> => bus.stop();
  const url = `redis://${bus.endpoints[0]!.host}:${bus.endpoints[0]!.port}`;
  const stops: Array<() => Promise<void>> = [];
  const stopNodes = async (): Promise<void> => { await Promise.all(stops.map((s) => s())); };
  try {
    const metricsPorts = await distinctFreePorts(nodes);
    const outcomes = await Promise.allSettled(metricsPorts.map(async (mport, i) => {
      const t = await startNode(['--redis', url, '--node-name', `node${i + 1}`, '--metrics-port', String(mport), '--metrics-host', '127.0.0.1']);
      stops.push(() => t.stop());
      return t;
    }));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const started = outcomes.map((o) => (o as PromiseFulfilledResult<Target>).value);
    await waitForPeers(metricsPorts, nodes - 1);
    const first = started[0]!;
    return {
      name: `${first.name}-cluster${nodes}`, proto: first.proto, endpoints: started.flatMap((t) => t.endpoints),
      wsPath: first.wsPath, ircPass: first.ircPass, maxLoginsInFlight: null,
      pids: started.flatMap((t) => t.pids), busPid: bus.pids[0] ?? null,
      receivers: (n) => n - 1,
      stop: async () => { await stopNodes(); await stopBus(); },
    };
  } catch (e) {
    await stopNodes();
    await stopBus();
    throw e;
  }
}

/** `n` free loopback ports, all different (each picked by binding port 0, then released). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Polls every node's /metrics until each has `want` peers and is up on the bus; throws after READY_MS. */
async function waitForPeers(metricsPorts: number[], want: number): Promise<void> {
  const deadline = Date.now() + READY_MS;
  let seen: Array<number | null> = [];
  for (;;) {
    seen = await Promise.all(metricsPorts.map(async (p) => {
      const text = await fetchMetrics(p);
      if (text === null || gauge(text, 'chat_cluster_up') !== 1) return null;
      return gauge(text, 'chat_cluster_peers');
    }));
    if (seen.every((v) => v === want)) return;
    if (Date.now() > deadline) {
      throw new Error(`cluster not ready after ${READY_MS / 1000} s: peers seen by each node ${JSON.stringify(seen)} (want ${want}; null = not up on Redis or no metrics)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of an unlabelled gauge in Prometheus text, or null when absent. */
function gauge(text: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

/** GET http://127.0.0.1:PORT/metrics; null when it does not answer (yet) with 200 within 2 s. */
function fetchMetrics(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}
