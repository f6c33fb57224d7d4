import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ChatContext } from '../core/context.js';
import type { ServerConfig } from './config.js';
import { LATENCY_BOUNDS_MS, type LatencyHistogram } from '../core/latency.js';

/** Queue depth buckets (messages); the depth of every client is sampled once per second. */
const DEPTH_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 1000];
const DEPTH_SAMPLE_MS = 1000;

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A counter that reports a plain number kept elsewhere (the hot path only increments that number). */
function mirrorCounter(registry: Registry, name: string, help: string, read: () => number, labels: Record<string, string> = {}): void {
  let last = 0;
  const c = new Counter({
    name,
    help,
    labelNames: Object.keys(labels),
    registers: [registry],
    collect() {
      const v = read();
      if (v > last) c.inc(labels, v - last);
      last = v;
    },
  });
}

/**
 * The delivery latency histogram, exported from the outboxes' own fixed-bucket histogram
 * (src/core/latency.ts) so the flush path never touches prom-client.
 */
function latencyMetric(h: LatencyHistogram, name = 'chat_delivery_latency_seconds', help = 'Time from a message entering a recipient queue to being handed to the socket (one sample per write)') {
  return {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    async get() {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      let acc = 0;
      LATENCY_BOUNDS_MS.forEach((ms, i) => {
        acc += h.counts[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { le: ms / 1000 }, value: acc });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count });
      values.push({ metricName: `${name}_sum`, labels: {}, value: h.sumMs / 1000 });
      values.push({ metricName: `${name}_count`, labels: {}, value: h.count });
      return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
    },
    reset() {},
  };
}

/** Builds the registry: chat_* metrics from the shared counters, plus Node's defaults (event-loop lag). */
export function buildRegistry(ctx: ChatContext, config: Pick<ServerConfig, 'overflow'>): { registry: Registry; stop: () => void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { counters, hub } = ctx;
  new Gauge({ name: 'chat_connections', help: 'Open connections (logged in or not)', registers: [registry], collect() { this.set(counters.connections); } });
  new Gauge({ name: 'chat_users_online', help: 'Logged-in users', registers: [registry], collect() { this.set(hub.size); } });
  mirrorCounter(registry, 'chat_logins_total', 'Successful logins', () => counters.logins);
  mirrorCounter(registry, 'chat_login_failures_total', 'Failed logins', () => counters.loginFailures);
  mirrorCounter(registry, 'chat_messages_in_total', 'Chat messages received from users', () => counters.messagesIn);
  mirrorCounter(registry, 'chat_deliveries_total', 'Messages accepted into a recipient queue', () => hub.deliveries);
  mirrorCounter(registry, 'chat_messages_out_total', 'Messages handed to sockets', () => counters.written);
  mirrorCounter(registry, 'chat_drops_total', 'Messages dropped by the overflow policy', () => counters.drops, { policy: config.overflow });
  mirrorCounter(registry, 'chat_store_writes_total', 'History and offline entries written to the store', () => ctx.store.stats.writes, { store: ctx.store.kind });
  mirrorCounter(registry, 'chat_store_errors_total', 'Store writes that failed (disk full, I/O error); the chat carried on without them', () => ctx.store.stats.errors, { store: ctx.store.kind });
  mirrorCounter(registry, 'chat_history_unsaved_total', 'Room lines delivered live but not saved to history: the store could not write them (their senders were told)', () => ctx.store.stats.unsaved, { store: ctx.store.kind });
  mirrorCounter(registry, 'chat_store_transactions_total', 'Store transactions committed (one per event-loop turn with writes)', () => ctx.store.stats.transactions, { store: ctx.store.kind });
  mirrorCounter(registry, 'chat_flood_delayed_total', 'Inbound lines held back by flood control', () => counters.floodDelayed);
  mirrorCounter(registry, 'chat_flood_rejected_total', 'Inbound lines refused by flood control', () => counters.floodRejected);
  const cluster = ctx.cluster;
  if (cluster !== undefined) {
    const bus = cluster.stats;
    new Gauge({ name: 'chat_cluster_up', help: 'Whether this node is connected to the cluster bus (Redis): 1 or 0', registers: [registry], collect() { this.set(cluster.up ? 1 : 0); } });
    new Gauge({ name: 'chat_cluster_peers', help: 'Other nodes this node hears from', registers: [registry], collect() { this.set(cluster.peerCount); } });
    new Gauge({ name: 'chat_cluster_users_online', help: 'Users online on every node', registers: [registry], collect() { this.set(hub.total); } });
    mirrorCounter(registry, 'chat_cluster_publishes_total', 'Messages this node published on the bus', () => bus.published);
    mirrorCounter(registry, 'chat_cluster_received_total', 'Bus messages from other nodes applied here', () => bus.received);
    mirrorCounter(registry, 'chat_cluster_drops_total', 'Bus messages that could not cross: published while the bus was down', () => bus.busDrops);
    mirrorCounter(registry, 'chat_cluster_malformed_total', 'Bus messages ignored because they did not parse', () => bus.malformed);
    mirrorCounter(registry, 'chat_cluster_duplicates_total', 'Bus messages ignored as repeats (sequence number not new)', () => bus.duplicates);
    registry.registerMetric(latencyMetric(bus.lag, 'chat_cluster_bus_lag_seconds', 'Time from a message\'s creation on another node to its delivery here (wall clocks)') as unknown as Parameters<Registry['registerMetric']>[0]);
  }
  const depth = new Histogram({ name: 'chat_queue_depth', help: 'Recipient queue depth in messages, every client sampled once per second', buckets: DEPTH_BUCKETS, registers: [registry] });
  registry.registerMetric(latencyMetric(counters.latency) as unknown as Parameters<Registry['registerMetric']>[0]);
  const sampler = setInterval(() => {
    for (const m of hub.members()) depth.observe(m.outbox.depth);
  }, DEPTH_SAMPLE_MS);
  sampler.unref();
  return { registry, stop: () => clearInterval(sampler) };
}

/** Serves GET /metrics on host:port (loopback unless told otherwise). Anything else is 404. */
export async function startMetrics(ctx: ChatContext, config: Pick<ServerConfig, 'overflow' | 'metricsHost' | 'metricsPort'>): Promise<MetricsServer> {
  const { metricsHost: host, metricsPort: port } = config;
  const { registry, stop } = buildRegistry(ctx, config);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found. Try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  server.listen({ host, port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err; })]);
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : port,
    async close() {
      stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
