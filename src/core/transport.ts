import type { Sink } from './outbox.js';
import type { CloseCode } from './close-reasons.js';

/**
 * A connection as a protocol session sees it. Implemented by src/net/connection.ts, which owns the
 * socket: sessions never touch a socket directly.
 */
export interface Transport extends Sink {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True for TLS connections. */
  readonly secure: boolean;
  /** Flushes what is written, then closes. Idempotent. The session's `closed` follows. */
  end(code: CloseCode): void;
  /** Closes at once, discarding unsent bytes. Idempotent. */
  destroy(code: CloseCode): void;
  /** Stops/starts reading (login verification, flood control). */
  pause(): void;
  resume(): void;
}

/** What a connection drives. One per connection, created by a protocol's session factory. */
export interface Session {
  /** Bytes from the peer. MUST NOT throw. */
  data(chunk: Buffer): void;
  /** The transport's buffer drained after a write returned false. */
  drained(): void;
  /** The connection is gone (any reason). Called exactly once. */
  closed(code: CloseCode): void;
  /** Server shutdown: send the notice and close gracefully. */
  shutdown(): void;
}

/** Why a listener refuses a connection at accept time (before any session exists). */
export type RefusalCode = Extract<CloseCode, 'SERVER_FULL' | 'TOO_MANY_FROM_IP'>;

/**
 * A wire protocol as a listener sees it: a session per accepted connection, and the bytes to send
 * to one it refuses (`server full` is a `[SERVER]` line in the text protocol, an IRC `ERROR`, an
 * HTTP 503 elsewhere).
 */
export interface Protocol {
  readonly id: string;
  createSession(transport: Transport): Session;
  refusal(code: RefusalCode): Buffer;
}

/** An HTTP upgrade request as a protocol's handshake sees it (no socket). */
export interface UpgradeRequest {
  readonly method: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** True when the request came over TLS. */
  readonly secure: boolean;
}

export type HandshakeAnswer =
  /**
   * Accept: write `response` (101), then the socket belongs to the protocol's session, or to
   * `protocol`'s when the handshake chose another one (a WebSocket subprotocol).
   */
  | { readonly kind: 'accept'; readonly response: Buffer; readonly protocol?: Protocol }
  /** Refuse: write `response` (an HTTP error) and close; `why` is for the log. */
  | { readonly kind: 'refuse'; readonly response: Buffer; readonly why: string };

/** A protocol reached through an HTTP upgrade (WebSocket): the listener asks it to answer the handshake. */
export interface UpgradeProtocol extends Protocol {
  handshake(req: UpgradeRequest): HandshakeAnswer;
}
