import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Protocol, RefusalCode } from '../core/transport.js';
import type { Logger } from '../core/log.js';
import type { Counters } from '../core/counters.js';
import { monotonicMs } from '../core/clock.js';
import { Connection, type ConnectionRegistry } from './connection.js';
import { throttleKey } from '../core/throttle.js';
import { armKeepAlive } from './keepalive.js';
import { AcceptErrors } from './accept-errors.js';
import { outOfDescriptors } from './descriptors.js';

export interface ListenerLimits {
  /** Most sockets at once: --max-clients, or fewer when the open-file limit says so (src/net/descriptors.ts). */
  maxClients: number;
  maxPerIp: number;
  keepaliveMs: number;
  /** Bounded flush time for closing sockets and for shutdown. */
  shutdownFlushMs: number;
  /** Refused sockets answered at once; past it a refused socket is closed without a word. */
  refusalsMax: number;
  /** How often to check that a file can still be opened (0 = never). */
  fdProbeIntervalMs: number;
  /** At most one log line per this many ms about failing accepts. */
  acceptErrorLogIntervalMs: number;
}

/**
 * How a listener refuses a socket at accept, in its protocol's words: `say` starts writing them and
 * ending the socket. A socket still open `lingerMs` later (a peer that does not read) is destroyed.
 */
export interface Refusal {
  say(socket: Socket, code: RefusalCode): void;
  readonly lingerMs: number;
}

/** The protocol's refusal bytes, then the end; the peer's input is read and dropped so its close is seen at once. */
export function plainRefusal(protocol: Pick<Protocol, 'refusal'>, lingerMs: number): Refusal {
  return {
    lingerMs,
    say(socket: Socket, code: RefusalCode): void {
      socket.resume();
      socket.end(protocol.refusal(code));
    },
  };
}

const kOwner = Symbol('chat.listeners');
type OwnedSocket = Socket & { [kOwner]?: Listeners };

/**
 * The server's listening sockets and every socket they accepted.
 *
 * Contract: one rule for every listener. A socket costs a slot from accept, before any protocol
 * runs (a TLS handshake, HTTP headers, a WebSocket upgrade), counted in `--max-clients` and, by
 * address, in `--max-per-ip`; a socket over either limit is refused in its listener's words
 * (`Refusal`) and never reaches the protocol. The slot is released exactly once, when that socket
 * closes, whatever it became: a session's connection, an upgraded WebSocket (which keeps the slot
 * its socket had), or nothing. At shutdown every session is asked to close, and what is left after
 * a bounded wait is destroyed.
 */
export class Listeners implements ConnectionRegistry {
  private readonly servers: Server[] = [];
  /** Sockets with a session. */
  private readonly connections = new Set<Connection>();
  /** Every socket holding a slot, with its per-address key: from accept until its 'close'. */
  private readonly slots = new Map<Socket, string>();
  private readonly perIp = new Map<string, number>();
  /** Refused sockets still being answered. */
  private refusing = 0;
  private readonly acceptErrors: AcceptErrors;
  private probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: ListenerLimits,
    private readonly counters: Counters,
    private readonly log: Logger,
  ) {
    this.acceptErrors = new AcceptErrors(log, limits.acceptErrorLogIntervalMs, monotonicMs);
  }

  /** Sockets with a session (logged in or not). */
  get size(): number {
    return this.connections.size;
  }

  /** Starts a plain TCP listener; resolves with the bound port. */
  async listenTcp(host: string, port: number, protocol: Protocol): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, false, protocol));
    return this.start(server, host, port, plainRefusal(protocol, this.limits.shutdownFlushMs));
  }

  /**
   * Starts a net.Server, or a server built on one (tls.Server, http.Server, https.Server), with its
   * handling already attached to 'connection'. Every socket it accepts takes a slot first; only the
   * sockets that get one reach that handling, the others get `refusal`. Resolves with the bound port.
   */
  async start(server: Server, host: string, port: number, refusal: Refusal): Promise<number> {
    const handlers = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (!this.admit(socket, refusal)) return;
      for (const handle of handlers) handle.call(server, socket);
    });
    server.listen({ host, port, backlog: 4096 });
    // A failure to listen rejects (once() rejects on 'error'): the caller says it once, in its own
    // words. Errors after that are failing accepts, logged below.
    await once(server, 'listening');
    this.servers.push(server);
    const addr = server.address();
    const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
    // From now on an error is a failing accept (Node reports some; libuv hides EMFILE, see checkDescriptors).
    server.on('error', (err: Error) => {
      const code = 'code' in err && typeof err.code === 'string' ? err.code : err.message;
      this.acceptErrors.note(`accept failed on ${host}:${bound}: ${code}`, { reason: code });
    });
    if (this.probe === undefined && this.limits.fdProbeIntervalMs > 0) {
      this.probe = setInterval(probeDescriptors, this.limits.fdProbeIntervalMs, this);
      this.probe.unref();
    }
    return bound;
  }

  /** Takes a slot for a just-accepted socket, or refuses it. */
  private admit(socket: Socket, refusal: Refusal): boolean {
    const ip = socket.remoteAddress;
    if (ip === undefined) {
      // Reset before we saw it: nothing to count or answer.
      socket.destroy();
      return false;
    }
    // Counted like the login throttle: IPv4-mapped IPv6 as IPv4, IPv6 per /64.
    const key = throttleKey(ip);
    const code: RefusalCode | undefined =
      this.slots.size >= this.limits.maxClients ? 'SERVER_FULL' : (this.perIp.get(key) ?? 0) >= this.limits.maxPerIp ? 'TOO_MANY_FROM_IP' : undefined;
    (socket as OwnedSocket)[kOwner] = this;
    if (code !== undefined) {
      this.refuse(socket, ip, code, refusal);
      return false;
    }
    this.slots.set(socket, key);
    this.perIp.set(key, (this.perIp.get(key) ?? 0) + 1);
    this.counters.connections = this.slots.size;
    socket.on('close', onSlotClose);
    armKeepAlive(socket, this.limits.keepaliveMs);
    return true;
  }

  private refuse(socket: Socket, ip: string, code: RefusalCode, refusal: Refusal): void {
    this.log.event('REFUSED', `${ip} (${code})`, { ip, reason: code });
    socket.on('error', ignore);
    if (this.refusing >= this.limits.refusalsMax) {
      socket.destroy();
      return;
    }
    this.refusing++;
    socket.on('close', onRefusedClose);
    refusal.say(socket, code);
    setTimeout(destroySocket, refusal.lingerMs, socket).unref();
  }

  /** Called once per admitted socket, by its 'close'. */
  release(socket: Socket): void {
    const key = this.slots.get(socket);
    if (key === undefined) return;
    this.slots.delete(socket);
    const n = (this.perIp.get(key) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(key);
    else this.perIp.set(key, n);
    this.counters.connections = this.slots.size;
  }

  /** Called once per refused socket, by its 'close'. */
  refused(): void {
    this.refusing--;
  }

  /**
   * Wires a socket that holds its slot (taken at accept; after a TLS handshake or an HTTP upgrade
   * this is the socket built on it) to a new session. After an HTTP upgrade, `upgraded.prelude` (the
   * 101 response) is written first, and `upgraded.head` (bytes the client sent after its request)
   * goes to the session first.
   */
  accept(socket: Socket, secure: boolean, protocol: Protocol, upgraded?: { prelude: Buffer; head: Buffer }): void {
    if (socket.destroyed) return;
    if (upgraded !== undefined) socket.write(upgraded.prelude);
    const conn = new Connection(socket, secure, this, this.limits.shutdownFlushMs);
    this.counters.accepted++;
    conn.session = protocol.createSession(conn);
    if (upgraded !== undefined && upgraded.head.length > 0) conn.session.data(upgraded.head);
  }

  added(conn: Connection): void {
    this.connections.add(conn);
  }

  removed(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** Out of descriptors, new connections are closed unanswered by libuv without a word to Node: say so. */
  checkDescriptors(): void {
    const code = outOfDescriptors();
    if (code === undefined) return;
    this.acceptErrors.note(`out of file descriptors (${code}): new connections are closed unanswered; raise ulimit -n or lower --max-clients`, { reason: code });
  }

  /** Stops accepting, tells every session to close, waits up to shutdownFlushMs, destroys the rest. */
  async shutdown(): Promise<void> {
    if (this.probe !== undefined) clearInterval(this.probe);
    for (const s of this.servers) s.close();
    for (const conn of this.connections) conn.session.shutdown();
    const deadline = Date.now() + this.limits.shutdownFlushMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.connections) conn.destroy('SHUTDOWN');
    // Sockets without a session (HTTP before an upgrade, TLS before its handshake) have nothing to flush.
    for (const socket of this.slots.keys()) socket.destroy();
  }
}

function onSlotClose(this: OwnedSocket): void {
  this[kOwner]!.release(this);
}

function onRefusedClose(this: OwnedSocket): void {
  this[kOwner]!.refused();
}

function probeDescriptors(listeners: Listeners): void {
  listeners.checkDescriptors();
}

function ignore(): void {}

function destroySocket(socket: Socket): void {
  socket.destroy();
}
