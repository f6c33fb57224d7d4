import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { startWithMetrics } from '../helpers/metrics.js';
import { TestClient } from '../helpers/client.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (what a scraper does), checking every line's shape. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

test('--metrics-port serves Prometheus metrics at /metrics that parse and count what happened', async () => {
  const { server, port } = await startWithMetrics(['--flood-rate', '0', '--queue-size', '2', '--slow', 'user3=500']);
  try {
    await server.waitForLog(new RegExp(`^Metrics on http://127\\.0\\.0\\.1:${port}/metrics$`));
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.login(server.port, 'user2');
    const slow = await TestClient.login(server.port, 'user3');
    const bad = await TestClient.connect(server.port);
    bad.send('user4\nwrong\n');
    await bad.waitClosed();
    await a.waitFor('user3 joined the chat.\n');
    a.send('one\ntwo\nthree\nfour\nfive\n');
    await b.waitFor('user1: five\n');

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const { samples, types } = parseExposition(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    assert.equal(value('chat_connections'), 3);
    assert.equal(value('chat_users_online'), 3);
    assert.equal(value('chat_logins_total'), 3);
    assert.equal(value('chat_login_failures_total'), 1);
    assert.equal(value('chat_messages_in_total'), 5);
    assert.ok((value('chat_drops_total', { policy: 'drop-newest' }) ?? 0) >= 2, 'user3 (500 ms delay, queue of 2) lost some of the five');
    assert.ok((value('chat_deliveries_total') ?? 0) >= 5);
    assert.equal(types.get('chat_logins_total'), 'counter');
    assert.equal(types.get('chat_delivery_latency_seconds'), 'histogram');
    assert.equal(types.get('chat_queue_depth'), 'histogram');
    assert.ok(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds'), 'event-loop lag');

    // The latency histogram: cumulative buckets ending in +Inf = count.
    const buckets = samples.filter((s) => s.name === 'chat_delivery_latency_seconds_bucket');
    assert.ok(buckets.length > 5);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
    assert.equal(buckets.at(-1)!.labels['le'], '+Inf');
    const count = value('chat_delivery_latency_seconds_count')!;
    assert.equal(buckets.at(-1)!.value, count);
    assert.ok(count > 0);
    assert.ok(value('chat_delivery_latency_seconds_sum')! >= 0);

    const notFound = await fetch(`http://127.0.0.1:${port}/other`);
    assert.equal(notFound.status, 404);
    for (const c of [a, b, slow]) c.destroy();
  } finally {
    await server.stop();
  }
});

test('metrics are off by default', async () => {
  const server = await startServer([]);
  try {
    assert.ok(!server.lines.some((l) => l.startsWith('Metrics on')));
  } finally {
    await server.stop();
  }
});

test('--stats-interval logs a [STATS] line with connections, rates, drops and the largest queue', async () => {
  const server = await startServer(['--stats-interval', '1', '--flood-rate', '0']);
  try {
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.login(server.port, 'user2');
    await a.waitFor('user2 joined the chat.\n');
    a.send('hello\n');
    await b.waitFor('user1: hello\n');
    const line = await server.waitForLog(/^\[STATS\] 2 connections, 2 online; in [\d.]+\/s, out [\d.]+\/s, deliveries [\d.]+\/s; drops [\d.]+\/s \(0 total\); largest queue \d+$/);
    assert.ok(line);
    a.destroy();
    b.destroy();
  } finally {
    await server.stop();
  }
});
