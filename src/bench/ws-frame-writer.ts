import { randomBytes } from 'node:crypto';
import { WS_OP } from './ws-frame-reader.js';

/**
 * Client-to-server WebSocket frames (RFC 6455 section 5.2): FIN set (except fragment()), masked, as
 * the RFC requires of every client frame. The mask is chosen once per connection (the RFC asks for a fresh one per frame
 * to protect intermediaries from cache poisoning by hostile page scripts; on loopback with our own
 * payloads that threat does not exist, and one key keeps sending to one allocation per frame).
 */
export class WsFrameWriter {
  private readonly mask: Buffer = randomBytes(4);

  /** One masked frame around the latin1/ASCII or UTF-8 bytes of `text`. */
  text(text: string): Buffer {
    const n = Buffer.byteLength(text, 'utf8');
    const out = this.header(WS_OP.text, n);
    out.write(text, out.length - n, 'utf8');
    this.maskFrom(out, out.length - n);
    return out;
  }

  /**
   * Any data frame, FIN as given: a fragment (FIN clear), a continuation (opcode 0). Only hostile
   * clients (bench hostile) send these; the measuring clients send whole frames.
   */
  fragment(opcode: number, payload: Buffer, fin: boolean): Buffer {
    const out = this.header(opcode, payload.length, fin);
    payload.copy(out, out.length - payload.length);
    this.maskFrom(out, out.length - payload.length);
    return out;
  }

  /** A close frame with a status code (1000: normal). */
  close(code = 1000): Buffer {
    const out = this.header(WS_OP.close, 2);
    out.writeUInt16BE(code, out.length - 2);
    this.maskFrom(out, out.length - 2);
    return out;
  }

  /** The answer to a ping: the ping's payload, masked. */
  pong(buf: Buffer, start: number, end: number): Buffer {
    const out = this.header(WS_OP.pong, end - start);
    buf.copy(out, out.length - (end - start), start, end);
    this.maskFrom(out, out.length - (end - start));
    return out;
  }

  /** A frame buffer of the right size with its header and mask key written; the payload goes last. */
  private header(opcode: number, n: number, fin = true): Buffer {
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const out = Buffer.allocUnsafe(head + 4 + n);
    out[0] = (fin ? 0x80 : 0) | opcode;
    if (n < 126) {
      out[1] = 0x80 | n;
    } else if (n < 65536) {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(n, 2);
    } else {
      out[1] = 0x80 | 127;
      out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      out.writeUInt32BE(n >>> 0, 6);
    }
    this.mask.copy(out, head);
    return out;
  }

  private maskFrom(out: Buffer, p: number): void {
    const m = this.mask;
    for (let i = p; i < out.length; i++) out[i]! ^= m[(i - p) & 3]!;
  }
}
