import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startServer, type ServerProc } from '../helpers/server.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * /healthz and /readyz on the web port of the real server process: the status and body a load
 * balancer's probe gets, and /readyz following a real Redis going down and coming back.
 */

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function webPort(server: ServerProc): Promise<number> {
  const line = await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
  return Number(/:(\d+)\/$/.exec(line)![1]);
}

test('/healthz is 200 ok; /readyz is 200 ready; plain text, never cached; HEAD has no body; other methods 405', async () => {
  const server = await startServer(['--http-port', '0']);
  try {
    const port = await webPort(server);
    const health = await get(port, '/healthz');
    assert.deepEqual([health.status, health.body], [200, 'ok\n']);
    assert.equal(health.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(health.headers['cache-control'], 'no-store');
    const ready = await get(port, '/readyz');
    assert.deepEqual([ready.status, ready.body], [200, 'ready\n']);
    assert.deepEqual([(await get(port, '/readyz?verbose=1')).status], [200]);
    const head = await get(port, '/readyz', 'HEAD');
    assert.deepEqual([head.status, head.body, head.headers['content-length']], [200, '', '6']);
    const post = await get(port, '/healthz', 'POST');
    assert.deepEqual([post.status, post.headers['allow']], [405, 'GET, HEAD']);
    // Not a health path: the page's own 404.
    assert.equal((await get(port, '/healthz/more')).status, 404);
  } finally {
    await server.stop();
  }
});

test('with --redis: /readyz goes 503 while Redis is down and back to 200 when it returns; /healthz stays 200', { skip: hasRedis() ? false : 'redis-server is not installed (.ci/run installs it)', timeout: 120_000 }, async () => {
  const redis = await startRedis();
  const server = await startServer(['--http-port', '0', '--redis', redis.url, '--node-name', 'probe']);
  try {
    const port = await webPort(server);
    assert.deepEqual(Object.values(await get(port, '/readyz')).slice(0, 2), [200, 'ready\n']);

    await redis.kill();
    let answer: Answer | undefined;
    await waitUntil(async () => (answer = await get(port, '/readyz')).status === 503, () => `/readyz: ${JSON.stringify(answer)}`, { everyMs: 50 });
    assert.equal(answer!.body, 'not ready: store (redis) not open, cluster bus down\n');
    assert.deepEqual(Object.values(await get(port, '/healthz')).slice(0, 2), [200, 'ok\n']);

    await redis.start();
    await waitUntil(async () => (answer = await get(port, '/readyz')).status === 200, () => `/readyz: ${JSON.stringify(answer)}`, { everyMs: 50 });
    assert.equal(answer!.body, 'ready\n');
  } finally {
    await server.stop();
    await redis.stop();
  }
});
