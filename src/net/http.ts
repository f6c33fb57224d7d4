import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { extname, join, relative, sep } from 'node:path';
import type { Logger } from '../core/log.js';
import type { UpgradeProtocol } from '../core/transport.js';
import { plainRefusal, type Listeners } from './listeners.js';
import { tlsRefusal, type TlsFiles } from './tls.js';
import { hostAllowed, type WebHosts } from './host-check.js';
import { serveHealth } from './health.js';

export interface WebListenOptions {
  host: string;
  port: number;
  /** With credentials: HTTPS and WSS (the certificate reloaded with them). */
  credentials?: TlsFiles;
  /** The built page (dist/web); undefined or missing: every page request gets a 503 saying so. */
  webRoot: string | undefined;
  /** Why the server should get no new users now (empty: ready), for `/readyz` (health.ts). */
  readiness: () => readonly string[];
  /** The Host names answered (src/net/host-check.ts); others get 421. */
  hosts: WebHosts;
  timeouts: WebTimeouts;
}

/**
 * How long an HTTP socket may hold its connection slot before it is upgraded (ms): see the
 * httpHeadersTimeoutMs group in src/core/limits.ts.
 */
export interface WebTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
  /** Nothing moved either way for this long. */
  idleMs: number;
  /** How often Node checks headersMs and requestMs. */
  checkMs: number;
  /** HTTPS: the TLS handshake. */
  tlsHandshakeMs: number;
  /** How long a refusal at accept may take to flush (after the handshake on HTTPS). */
  flushMs: number;
}

/** A bare HTTP error for requests no protocol takes (a wrong upgrade path). */
const NOT_FOUND = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n404 Not Found\n');

/** The answer to a request for a Host this server was not told it has (a DNS-rebinding page). */
const MISDIRECTED_TEXT = '421 Misdirected Request: this server does not answer to that host name (see --web-hosts).\n';
const MISDIRECTED = Buffer.from(`HTTP/1.1 421 Misdirected Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(MISDIRECTED_TEXT)}\r\nConnection: close\r\n\r\n${MISDIRECTED_TEXT}`);

/**
 * Headers on every HTTP response. The CSP forbids inline script and style and any other origin, so
 * even a bug that put user text into the page as HTML could not run it.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Content-hashed names never change content: cached for a year; everything else revalidates. */
  readonly cache: string;
}

/** Files under assets/ carry a content hash in their name (main-3f9a1c2b.js). */
const HASHED = /^\/assets\/.+-[A-Za-z0-9]{8,}\.[a-z]+$/;

/**
 * Reads the built page into memory once (it is small), keyed by URL path; `/` is index.html.
 * Only regular files under the root, so no request can name anything outside it.
 */
export function loadStaticFiles(root: string | undefined): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (root === undefined || !existsSync(root)) return files;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && statSync(path).size < 8 * 1024 * 1024) {
        const url = `/${relative(root, path).split(sep).join('/')}`;
        const body = readFileSync(path);
        files.set(url, {
          body,
          type: TYPES[extname(path)] ?? 'application/octet-stream',
          etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
          cache: HASHED.test(url) ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
      }
    }
  };
  walk(root);
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return files;
}

/**
 * The web listener: serves the page and upgrades `/ws` to the browser protocol. Its sockets take
 * their slot in `listeners` at accept, like every other socket (refused with an HTTP 503 in the
 * WebSocket protocol's words, encrypted on HTTPS), and keep it through the upgrade; from then on
 * the protocol's session owns the bytes. Until then the socket's time is bounded (`timeouts`). A
 * request, page or upgrade, for a Host not in `hosts` gets 421 and a log line. Resolves with the
 * bound port.
 */
export async function listenWeb(listeners: Listeners, opts: WebListenOptions, ws: UpgradeProtocol, log: Logger): Promise<number> {
  const files = loadStaticFiles(opts.webRoot);
  const secure = opts.credentials !== undefined;
  const t = opts.timeouts;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!hostAllowed(req.headers.host, opts.hosts)) {
      refuseHost(log, 'HTTP REFUSED', req);
      res.writeHead(421, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(MISDIRECTED_TEXT), Connection: 'close' }).end(MISDIRECTED_TEXT);
      return;
    }
    if (!serveHealth(req, res, opts.readiness)) serveStatic(files, req, res);
  };
  const httpOptions = { headersTimeout: t.headersMs, requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs, connectionsCheckingInterval: t.checkMs };
  const server: Server = secure
    ? opts.credentials!.serve(createHttpsServer({ ...httpOptions, cert: opts.credentials!.cert, key: opts.credentials!.key, handshakeTimeout: t.tlsHandshakeMs }, onRequest))
    : createHttpServer(httpOptions, onRequest);
  // A socket on which nothing moves (a client that does not read its answer) is closed.
  server.timeout = t.idleMs;
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignore);
    if (!hostAllowed(req.headers.host, opts.hosts)) {
      refuseHost(log, 'WS REFUSED', req);
      socket.end(MISDIRECTED);
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws') {
      socket.end(NOT_FOUND);
      return;
    }
    const answer = ws.handshake({ method: req.method, headers: req.headers, secure });
    if (answer.kind === 'refuse') {
      log.event('WS REFUSED', `('${socket.remoteAddress ?? 'unknown'}', ${socket.remotePort ?? 0}): ${answer.why}`, { ip: socket.remoteAddress, reason: answer.why });
      socket.end(answer.response);
      return;
    }
    socket.removeListener('error', ignore);
    // The HTTP idle timeout no longer applies: the session has its own keepalive.
    socket.setTimeout(0);
    listeners.accept(socket, secure, answer.protocol ?? ws, { prelude: answer.response, head });
  });
  if (secure) {
    server.on('tlsClientError', (err: Error, socket: Socket) => {
      log.event('TLS ERROR', `handshake failed from ('${socket.remoteAddress ?? 'unknown'}', ${socket.remotePort ?? 0}): ${'code' in err && typeof err.code === 'string' ? err.code : err.message}`);
      socket.destroy();
    });
  }
  const refusal = secure
    ? tlsRefusal({ credentials: opts.credentials!, handshakeTimeoutMs: t.tlsHandshakeMs, flushMs: t.flushMs }, ws)
    : plainRefusal(ws, t.flushMs);
  return listeners.start(server, opts.host, opts.port, refusal);
}

/** Logs a request refused for its Host (at most 100 characters of it). */
function refuseHost(log: Logger, tag: string, req: IncomingMessage): void {
  const host = (req.headers.host ?? '(none)').slice(0, 100);
  const ip = req.socket.remoteAddress;
  log.event(tag, `('${ip ?? 'unknown'}', ${req.socket.remotePort ?? 0}): Host ${host} is not a name of this server`, { ip, host, reason: 'host' });
}

function serveStatic(files: Map<string, StaticFile>, req: IncomingMessage, res: ServerResponse): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('405 Method Not Allowed\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0]!;
  if (files.size === 0) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The web client is not built. Run: npm run build\n');
    return;
  }
  const file = files.get(path);
  if (file === undefined) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 Not Found\n');
    return;
  }
  const headers = { 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': file.cache };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': file.body.length });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

function ignore(): void {}
