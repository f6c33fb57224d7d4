import type { Socket } from 'node:net';
import type { CloseCode } from '../core/close-reasons.js';
import type { Session, Transport } from '../core/transport.js';

const kConnection = Symbol('chat.connection');
type TaggedSocket = Socket & { [kConnection]?: Connection };

/** Tracks live connections for limits and shutdown. Owned by the listener set (src/net/listeners.ts). */
export interface ConnectionRegistry {
  added(conn: Connection): void;
  removed(conn: Connection): void;
}

/**
 * Owns one socket for its whole life and is the only code that touches it. Sessions see it as a
 * Transport. Socket events go to module-level listeners (no closures per connection, which keeps
 * an idle connection small) that forward to the session.
 *
 * Contract: session.closed() is called exactly once, after the socket is fully closed, with the
 * first close code recorded (end/destroy by us, or the peer's doing).
 */
export class Connection implements Transport {
  session!: Session;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private code: CloseCode | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    readonly secure: boolean,
    private readonly registry: ConnectionRegistry,
    /** How long (ms) a gracefully ending socket may take to flush before it is destroyed. */
    private readonly lingerMs: number,
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.remotePort = socket.remotePort ?? 0;
    (socket as TaggedSocket)[kConnection] = this;
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    registry.added(this);
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  write(chunk: Buffer, done?: () => void): boolean {
    if (this.socket.writableEnded || this.socket.destroyed) return true;
    return this.socket.write(chunk, done);
  }

  end(code: CloseCode): void {
    this.code ??= code;
    if (this.socket.writableEnded || this.socket.destroyed) return;
    this.socket.end();
    // A peer that does not read would keep the socket half-closed forever: bound the wait.
    this.lingerTimer = setTimeout(destroyLingering, this.lingerMs, this.socket);
    this.lingerTimer.unref();
  }

  destroy(code: CloseCode): void {
    this.code ??= code;
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Called once by the socket's 'close' listener. */
  finish(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.registry.removed(this);
    this.session.closed(this.code ?? 'PEER_CLOSED');
  }

  noteError(): void {
    this.code ??= 'SOCKET_ERROR';
  }
}

function connOf(socket: Socket): Connection {
  return (socket as TaggedSocket)[kConnection]!;
}

function onData(this: Socket, chunk: Buffer): void {
  connOf(this).session.data(chunk);
}

function onDrain(this: Socket): void {
  connOf(this).session.drained();
}

function onEnd(this: Socket): void {
  // The peer finished sending; with allowHalfOpen off, Node ends our side too.
  connOf(this).end('PEER_CLOSED');
}

function onError(this: Socket): void {
  // ECONNRESET, EPIPE, keepalive timeouts...: 'close' follows and ends the session.
  connOf(this).noteError();
}

function onClose(this: Socket): void {
  connOf(this).finish();
}

function destroyLingering(socket: Socket): void {
  socket.destroy();
}
