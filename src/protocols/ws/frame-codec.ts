import { DEFAULTS } from '../../core/limits.js';

/**
 * WebSocket framing (RFC 6455 section 5), server side: bytes from a client -> messages, and
 * messages -> frame bytes. Pure: no sockets, no timers.
 *
 * Contract:
 * - Client frames MUST be masked, RSV bits MUST be 0, control frames MUST be final and at most 125
 *   bytes; a text message MUST be valid UTF-8. A violation is reported once through `fail` with the
 *   close code to send, and the decoder ignores everything after it.
 * - Memory is bounded in bytes and in pieces: a frame or a fragmented message longer than
 *   `maxPayload` bytes is refused (`fail` 1009), and a message in more than `maxFragments` frames
 *   (`fail` 1008), as soon as the header of the frame over the limit says so, before its payload is
 *   buffered. At most one unparsed frame (its header and up to `maxPayload` bytes, one buffer) plus
 *   the fragments of one message (`maxPayload` bytes in at most `maxFragments` buffers) are kept.
 *   Control frames between fragments are delivered at once and keep nothing.
 * - Messages are delivered in order, each once; control frames (ping, pong, close) may arrive
 *   between the fragments of a message and are delivered at once.
 * - Server frames are never masked. `frame()` builds one complete frame: the hub renders an event
 *   into one frame once and the same bytes go to every WebSocket recipient.
 */

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSink {
  /** One complete text message. */
  text(message: string): void;
  /** One complete binary message (the JSON protocol has none and answers with an error; IRC over WebSocket may use them). */
  binary(payload: Buffer): void;
  ping(payload: Buffer): void;
  pong(payload: Buffer): void;
  /** The client's close frame: its code (1005 when it gave none) and reason. */
  close(code: number, reason: string): void;
  /** A protocol violation: close with `code` (1002, 1007, 1009). Called once. */
  fail(code: number, reason: string): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One frame with `opcode` and `payload`, unmasked, final. */
export function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x80 | opcode;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, head);
  return out;
}

/** A text frame holding `text`. */
export function textFrame(text: string): Buffer {
  return frame(OP.text, Buffer.from(text, 'utf8'));
}

/** A close frame with `code` and a short `reason` (cut to fit the 125-byte control frame limit). */
export function closeFrame(code: number, reason = ''): Buffer {
  const r = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.allocUnsafe(2 + r.length);
  payload.writeUInt16BE(code, 0);
  r.copy(payload, 2);
  return frame(OP.close, payload);
}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** Fragments of the message being assembled, and their opcode (0 = none in progress). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Frames of the message being assembled, empty ones included (what maxFragments bounds). */
  private fragments = 0;
  private messageOp = 0;
  private failed = false;

  constructor(
    private readonly maxPayload: number,
    private readonly sink: FrameSink,
    private readonly maxFragments: number = DEFAULTS.wsMaxFragments,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (!this.failed) {
      const used = this.next();
      if (used === 0) break;
      this.buf = this.buf.subarray(used);
    }
    // Keep only what is unparsed, in a buffer of its own (not a view pinning a large chunk).
    if (this.buf.length > 0 && this.buf.byteOffset !== 0) this.buf = Buffer.from(this.buf);
  }

  /** Parses one frame from the front of `buf`; returns the bytes used (0: need more). */
  private next(): number {
    const b = this.buf;
    if (b.length < 2) return 0;
    const fin = (b[0]! & 0x80) !== 0;
    const rsv = b[0]! & 0x70;
    const op = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let len = b[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return 0;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return 0;
      const high = b.readUInt32BE(2);
      if (high !== 0) return this.fail(1009, 'Frame too large');
      len = b.readUInt32BE(6);
      at = 10;
    }
    if (rsv !== 0) return this.fail(1002, 'Reserved bits set');
    if (!masked) return this.fail(1002, 'Client frames must be masked');
    const control = op >= 0x8;
    if (control) {
      if (op !== OP.close && op !== OP.ping && op !== OP.pong) return this.fail(1002, 'Unknown opcode');
      if (!fin || len > 125) return this.fail(1002, 'Bad control frame');
    } else {
      if (op !== OP.continuation && op !== OP.text && op !== OP.binary) return this.fail(1002, 'Unknown opcode');
      if (op === OP.continuation && this.messageOp === 0) return this.fail(1002, 'Continuation without a message');
      if (op !== OP.continuation && this.messageOp !== 0) return this.fail(1002, 'New message inside a fragmented one');
      if (this.partsLength + len > this.maxPayload) return this.fail(1009, 'Message too large');
      if (this.fragments >= this.maxFragments) return this.fail(1008, 'Message in too many fragments');
    }
    if (b.length < at + 4 + len) return 0;
    const mask = b.subarray(at, at + 4);
    const payload = Buffer.from(b.subarray(at + 4, at + 4 + len));
    for (let i = 0; i < len; i++) payload[i]! ^= mask[i & 3]!;
    if (control) this.control(op, payload);
    else this.data(op, fin, payload);
    return at + 4 + len;
  }

  private control(op: number, payload: Buffer): void {
    if (op === OP.ping) return this.sink.ping(payload);
    if (op === OP.pong) return this.sink.pong(payload);
    if (payload.length === 1) return void this.fail(1002, 'Bad close frame');
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    let reason = '';
    try {
      reason = utf8.decode(payload.subarray(2));
    } catch {
      return void this.fail(1007, 'Close reason is not UTF-8');
    }
    this.failed = true;
    this.sink.close(code, reason);
  }

  private data(op: number, fin: boolean, payload: Buffer): void {
    if (op !== OP.continuation) this.messageOp = op;
    this.fragments++;
    if (payload.length > 0) this.parts.push(payload);
    this.partsLength += payload.length;
    if (!fin) return;
    const whole = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLength);
    const messageOp = this.messageOp;
    this.parts = [];
    this.partsLength = 0;
    this.fragments = 0;
    this.messageOp = 0;
    if (messageOp === OP.binary) return this.sink.binary(whole);
    let text: string;
    try {
      text = utf8.decode(whole);
    } catch {
      return void this.fail(1007, 'Text is not UTF-8');
    }
    this.sink.text(text);
  }

  private fail(code: number, reason: string): number {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    this.parts = [];
    this.sink.fail(code, reason);
    return 0;
  }
}
