/**
 * Where an outbox hands its bytes: a socket, seen through the two things flow control needs.
 * Implemented by src/net/connection.ts (through Transport) and by the simulated link, PacedSink.
 */
export interface Sink {
  /**
   * Hands bytes to the transport; false means "stop until drained" (Node's write() backpressure).
   * `done`, when the sink supports it, is called once the chunk has left user space; a sink may
   * ignore it, and the outbox then watches writableLength instead.
   */
  write(chunk: Buffer, done?: () => void): boolean;
  /** Bytes the transport holds in user space that the kernel has not taken yet. */
  readonly writableLength: number;
}

/**
 * A sink with a buffer of its own between an outbox and the socket (the simulated link,
 * src/core/paced-sink.ts), put around the transport where the member is built. The outbox that
 * writes into it forwards the socket's 'drain' to it (`innerDrained`), closes it with itself, and
 * learns from it when it has run empty, which is the relay's own "drain".
 *
 * Contract: `attach` is called once, by the one outbox writing into the relay, before any write;
 * the relay calls `onEmpty` whenever it has handed every byte on, never from inside write().
 */
export interface Relay extends Sink {
  attach(onEmpty: () => void): void;
  /** The socket underneath drained after refusing bytes. */
  innerDrained(): void;
  /** Stops carrying bytes and its timers; what it holds is discarded. */
  close(): void;
}

/** Whether `sink` is a Relay (it takes the socket's drains), rather than the socket itself. */
export function isRelay(sink: Sink): sink is Relay {
  const maybe: Partial<Relay> = sink;
  return typeof maybe.innerDrained === 'function' && typeof maybe.attach === 'function';
}
