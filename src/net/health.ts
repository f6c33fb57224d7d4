import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatContext } from '../core/context.js';

/**
 * `GET /healthz` and `GET /readyz` on the web port(s), for load balancers and container
 * orchestrators (README, "Health checks").
 *
 * Contract:
 * - `/healthz` is liveness: 200 `ok` whenever the process answers HTTP at all. It checks nothing
 *   else, so a restart is never triggered by a dependency being down (Redis, say): restarting the
 *   chat would not bring Redis back.
 * - `/readyz` is readiness, whether this server should be sent new users: 200 `ready` once every
 *   listener is up, while not shutting down, with the store open and (with --redis) the cluster
 *   bus connected; otherwise 503 `not ready: ` and the reasons, comma-separated.
 * - Plain text, one line, `Cache-Control: no-store`; GET and HEAD. No I/O and nothing awaited:
 *   the answer is the state the server already holds, so a probe costs nothing and cannot hang.
 */

/** Why the server should get no new users now; empty when it is ready. */
export function notReady(ctx: Pick<ChatContext, 'shuttingDown' | 'store' | 'cluster'>, started: boolean): string[] {
  const why: string[] = [];
  if (!started) why.push('starting');
  if (ctx.shuttingDown) why.push('shutting down');
  if (!ctx.store.open) why.push(`store (${ctx.store.kind}) not open`);
  if (ctx.cluster !== undefined && !ctx.cluster.up) why.push('cluster bus down');
  return why;
}

/** Answers `/healthz` and `/readyz`; false for any other path (the caller serves it). */
export function serveHealth(req: IncomingMessage, res: ServerResponse, readiness: () => readonly string[]): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('405 Method Not Allowed\n');
    return true;
  }
  const why = path === '/healthz' ? [] : readiness();
  const body = path === '/healthz' ? 'ok\n' : why.length === 0 ? 'ready\n' : `not ready: ${why.join(', ')}\n`;
  res.writeHead(why.length === 0 ? 200 : 503, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
