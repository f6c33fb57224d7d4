import type { CloseCode } from '../../core/close-reasons.js';
import { DEFAULTS } from '../../core/limits.js';
import type { Protocol, RefusalCode, Session, Transport } from '../../core/transport.js';
import { closeFrame, frame, FrameDecoder, OP, type FrameSink } from './frame-codec.js';
import { REFUSALS } from './render.js';

/** The IRCv3 WebSocket subprotocols (https://ircv3.net/specs/extensions/websocket). */
export const IRCV3_SUBPROTOCOLS = ['text.ircv3.net', 'binary.ircv3.net'] as const;

const CRLF = Buffer.from('\r\n');

/**
 * A line protocol (IRC) carried over WebSocket, as web IRC clients (gamja, Kiwi IRC) speak it: one
 * line per frame, without its CRLF, text frames (or binary ones if the client sends binary). The
 * line protocol's own session runs unchanged on a transport that frames what it writes.
 *
 * Contract:
 * - The inner protocol's renders are whole lines (its renderer's contract), so each write is split
 *   at line ends and framed. This framing is per recipient: it is the price of this compatibility
 *   path; the inner protocol's render is still made once per broadcast.
 * - Inbound messages are bounded by `maxPayload` (1009 beyond) and DEFAULTS.wsMaxFragments (1008)
 *   and handed to the inner session as lines, one message at a time (nothing kept between them);
 *   broken frames close with the RFC's code; the inner session bounds its lines as usual, and its
 *   writes before registration (SessionCore.send) see this socket's unsent bytes. A pong is
 *   written only below DEFAULTS.wsPongBacklogBytes unsent, never queued.
 */
export function lineProtocolOverWebSocket(inner: Protocol, maxPayload: number): Protocol {
  return {
    id: `${inner.id}+ws`,
    createSession: (transport) => new BridgeSession(transport, inner, maxPayload),
    refusal: (code: RefusalCode) => REFUSALS[code],
  };
}

/** Frames every line the inner session writes; closes with a close frame. */
class FramedTransport implements Transport {
  /** Send binary frames (the client spoke binary.ircv3.net-style first). */
  binary = false;
  private closing = false;

  constructor(private readonly socket: Transport) {}

  get remoteAddress(): string {
    return this.socket.remoteAddress;
  }

  get remotePort(): number {
    return this.socket.remotePort;
  }

  get secure(): boolean {
    return this.socket.secure;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  write(chunk: Buffer, done?: () => void): boolean {
    const frames: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      let end = chunk.indexOf(0x0a, start);
      if (end === -1) end = chunk.length;
      const stop = end > start && chunk[end - 1] === 0x0d ? end - 1 : end;
      if (stop > start) frames.push(frame(this.binary ? OP.binary : OP.text, chunk.subarray(start, stop)));
      start = end + 1;
    }
    if (frames.length === 0) {
      done?.();
      return true;
    }
    return this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames), done);
  }

  end(code: CloseCode): void {
    this.close(1000);
    this.socket.end(code);
  }

  destroy(code: CloseCode): void {
    this.socket.destroy(code);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The closing handshake's frame, once. */
  close(code: number): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.write(closeFrame(code));
  }
}

/** Frames in, lines to the inner session; the Session the connection drives. */
class BridgeSession implements Session, FrameSink {
  private readonly framed: FramedTransport;
  private readonly inner: Session;
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly socket: Transport,
    protocol: Protocol,
    maxPayload: number,
  ) {
    this.framed = new FramedTransport(socket);
    this.inner = protocol.createSession(this.framed);
    this.decoder = new FrameDecoder(maxPayload, this);
  }

  data(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  drained(): void {
    this.inner.drained();
  }

  closed(code: CloseCode): void {
    this.inner.closed(code);
  }

  shutdown(): void {
    this.inner.shutdown();
  }

  text(message: string): void {
    this.inner.data(Buffer.concat([Buffer.from(message, 'utf8'), CRLF]));
  }

  binary(payload: Buffer): void {
    this.framed.binary = true;
    this.inner.data(Buffer.concat([payload, CRLF]));
  }

  ping(payload: Buffer): void {
    if (this.socket.writableLength < DEFAULTS.wsPongBacklogBytes) this.socket.write(frame(OP.pong, payload));
  }

  pong(): void {}

  close(): void {
    this.framed.close(1000);
    this.socket.end('CLIENT_EXIT');
  }

  fail(code: number): void {
    this.framed.close(code);
    this.socket.end('PROTOCOL_ERROR');
  }
}
