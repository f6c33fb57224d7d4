import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Protocol, RefusalCode } from '../core/transport.js';
import type { Logger } from '../core/log.js';
import type { Counters } from '../core/counters.js';
import { Connection, type ConnectionRegistry } from './connection.js';
import { throttleKey } from '../core/throttle.js';
import { armKeepAlive } from './keepalive.js';

export interface ListenerLimits {
  maxClients: number;
  maxPerIp: number;
  keepaliveMs: number;
  /** Bounded flush time for closing sockets and for shutdown. */
  shutdownFlushMs: number;
}

/**
 * The server's listening sockets and every connection they accepted. Applies the connection
 * limits at accept time (refusing in the protocol's own words), hands each accepted socket to the
 * protocol's session factory, and at shutdown
 * asks every session to close, waiting a bounded time before destroying what is left.
 */
export class Listeners implements ConnectionRegistry {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly limits: ListenerLimits,
    private readonly counters: Counters,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.connections.size;
  }

  /** Starts a plain TCP listener; resolves with the bound port. */
  async listenTcp(host: string, port: number, protocol: Protocol): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, false, protocol));
    return this.start(server, host, port);
  }

  /** Starts any already-configured net.Server (e.g. a tls.Server) whose connection event yields sockets. */
  async start(server: Server, host: string, port: number): Promise<number> {
    // 'connection' carries the TCP socket, also on a TLS server (before its handshake).
    server.on('connection', (socket: Socket) => armKeepAlive(socket, this.limits.keepaliveMs));
    server.listen({ host, port, backlog: 4096 });
    // A failure to listen rejects (once() rejects on 'error'): the caller says it once, in its own
    // words. Only errors after that are logged here.
    await once(server, 'listening');
    server.on('error', (err) => this.log.error('LISTEN', err.message));
    this.servers.push(server);
    const addr = server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : port;
  }

  /**
   * Takes an accepted socket: applies limits, then wires it to a new session. After an HTTP
   * upgrade, `upgraded.prelude` (the 101 response) is written once the limits allow the connection,
   * and `upgraded.head` (bytes the client sent after its request) goes to the session first.
   */
  accept(socket: Socket, secure: boolean, protocol: Protocol, upgraded?: { prelude: Buffer; head: Buffer }): void {
    const ip = socket.remoteAddress ?? 'unknown';
    // Counted like the login throttle: IPv4-mapped IPv6 as IPv4, IPv6 per /64.
    const key = throttleKey(ip);
    const refusal: RefusalCode | undefined =
      this.connections.size >= this.limits.maxClients ? 'SERVER_FULL' : (this.perIp.get(key) ?? 0) >= this.limits.maxPerIp ? 'TOO_MANY_FROM_IP' : undefined;
    if (refusal !== undefined) {
      socket.on('error', ignore);
      socket.end(protocol.refusal(refusal));
      setTimeout(destroySocket, this.limits.shutdownFlushMs, socket).unref();
      this.log.event('REFUSED', `${ip} (${refusal})`, { ip, reason: refusal });
      return;
    }
    if (upgraded !== undefined) socket.write(upgraded.prelude);
    const conn = new Connection(socket, secure, this, this.limits.shutdownFlushMs);
    this.counters.accepted++;
    conn.session = protocol.createSession(conn);
    if (upgraded !== undefined && upgraded.head.length > 0) conn.session.data(upgraded.head);
  }

  added(conn: Connection): void {
    this.connections.add(conn);
    const key = throttleKey(conn.remoteAddress);
    this.perIp.set(key, (this.perIp.get(key) ?? 0) + 1);
    this.counters.connections = this.connections.size;
  }

  removed(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    const key = throttleKey(conn.remoteAddress);
    const n = (this.perIp.get(key) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(key);
    else this.perIp.set(key, n);
    this.counters.connections = this.connections.size;
  }

  /** Stops accepting, tells every session to close, waits up to shutdownFlushMs, destroys the rest. */
  async shutdown(): Promise<void> {
    for (const s of this.servers) s.close();
    for (const conn of this.connections) conn.session.shutdown();
    const deadline = Date.now() + this.limits.shutdownFlushMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.connections) conn.destroy('SHUTDOWN');
  }
}

function ignore(): void {}

function destroySocket(socket: Socket): void {
  socket.destroy();
}
