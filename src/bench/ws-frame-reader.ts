/**
 * The generator's WebSocket frame parser (server -> client direction, RFC 6455 section 5.2), built
 * like LineReader: bytes from the process's one shared read buffer are parsed in place, and a whole
 * message that lies in one read is handed over as (buffer, start, end) without a copy or a string.
 * Only a frame cut by a read boundary, or a fragmented message, is copied into a carry buffer of
 * bounded size; a longer message is skipped to its end and reported as `oversize`, so memory per
 * connection stays bounded whatever the server sends. The `ws` package is not used on purpose: the
 * comparison with the text protocol must measure the server, not a client library's allocations.
 */

export const WS_OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WsFrameEvents {
  /** One complete data message (text or binary), fragments joined. `buf` is only valid during the call. */
  message(opcode: number, buf: Buffer, start: number, end: number): void;
  /** A control frame (close, ping, pong); its payload is at most 125 bytes. */
  control(opcode: number, buf: Buffer, start: number, end: number): void;
  /** A data message longer than the reader's bound: skipped, not delivered. */
  oversize(): void;
  /** A frame no server may send (masked, reserved bits, bad opcode or sequence): the caller should close. */
  violation(why: string): void;
}

/** Header bytes of a frame to a client: 2, plus 2 or 8 for the extended length (never a mask). */
const MAX_HEADER = 10;

export class WsFrameReader {
  /** Bytes of a frame cut by a read boundary (header included), or the fragments of a message. */
  private carry: Buffer | null = null;
  private carryLen = 0;
  /** Opcode of the fragmented message in progress (0 = none), and its joined payload length. */
  private fragOp = 0;
  private fragLen = 0;
  /** Payload bytes still to skip of an oversize frame, and whether it ends a skipped message. */
  private skip = 0;
  private skipping = false;
  private failed = false;

  constructor(
    private readonly events: WsFrameEvents,
    private readonly maxMessage = 64 * 1024,
  ) {}

  feed(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end && !this.failed) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (this.carryLen > this.fragLen) {
        pos = this.completeCarried(buf, pos, end);
        continue;
      }
      const size = frameSize(buf, pos, end);
      if (size > this.maxMessage + MAX_HEADER) {
        this.startSkip(buf[pos]! & 0x0f, size);
        continue;
      }
      if (size < 0 || pos + size > end) {
        // Incomplete header or payload: keep it until the next read.
        this.keep(buf, pos, end);
        return;
      }
      this.frame(buf, pos, pos + size);
      pos += size;
    }
  }

  /** Appends to the carried partial frame (behind any fragments) until it is whole, then parses it. */
  private completeCarried(buf: Buffer, pos: number, end: number): number {
    const at = this.fragLen;
    let size = frameSize(this.carry!, at, this.carryLen);
    if (size < 0) {
      // Header still incomplete: take at most a whole header's bytes to learn the frame's size.
      const take = Math.min(MAX_HEADER - (this.carryLen - at), end - pos);
      this.keep(buf, pos, pos + take);
      pos += take;
      size = frameSize(this.carry!, at, this.carryLen);
      if (size < 0) return pos;
      // The take may have run past this frame's end (into the next frame): give the excess back.
      const over = this.carryLen - at - size;
      if (over > 0) { this.carryLen -= over; pos -= over; }
    }
    if (size > this.maxMessage + MAX_HEADER) {
      const got = this.carryLen - at;
      const op = this.carry![at]! & 0x0f;
      this.carryLen = at;
      this.startSkip(op, size - got);
      return pos;
    }
    const take = Math.min(size - (this.carryLen - at), end - pos);
    this.keep(buf, pos, pos + take);
    if (this.carryLen - at === size) {
      this.carryLen = at;
      this.frame(this.carry!, at, at + size);
    }
    return pos + take;
  }

  /** Skips the next `bytes` bytes: a frame too big to keep; the message it belongs to is dropped whole. */
  private startSkip(op: number, bytes: number): void {
    if (op >= 0x8) return this.fail('a control frame longer than 125 bytes');
    this.skip = bytes;
    // Its later fragments, if any, are dropped too (frame() sees `skipping`).
    this.skipping = true;
    this.fragOp = 0;
    this.fragLen = 0;
    this.carryLen = 0;
    this.events.oversize();
  }

  /** One whole frame at buf[start, end). */
  private frame(buf: Buffer, start: number, end: number): void {
    const b0 = buf[start]!;
    const b1 = buf[start + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const op = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) return this.fail('reserved bits set');
    if ((b1 & 0x80) !== 0) return this.fail('a masked frame from the server');
    const len7 = b1 & 0x7f;
    const p = start + (len7 < 126 ? 2 : len7 === 126 ? 4 : 10);
    if (op >= 0x8) {
      if (!fin || end - p > 125) return this.fail('a fragmented or long control frame');
      if (op > WS_OP.pong) return this.fail(`opcode ${op}`);
      this.events.control(op, buf, p, end);
      return;
    }
    if (op !== WS_OP.continuation && op !== WS_OP.text && op !== WS_OP.binary) return this.fail(`opcode ${op}`);
    if (this.skipping) {
      // The rest of a message whose first part was too big: drop fragments up to its final one.
      if (op !== WS_OP.continuation) this.skipping = false;
      else { if (fin) this.skipping = false; return; }
    }
    if (op === WS_OP.continuation) {
      if (this.fragOp === 0) return this.fail('a continuation without a message');
    } else if (this.fragOp !== 0) {
      return this.fail('a new message inside a fragmented one');
    }
    if (op !== WS_OP.continuation && fin) {
      this.events.message(op, buf, p, end);
      return;
    }
    // A fragment: join it behind the earlier ones, at the front of the carry buffer.
    if (op !== WS_OP.continuation) this.fragOp = op;
    if (this.fragLen + (end - p) > this.maxMessage) {
      this.fragOp = 0;
      this.fragLen = 0;
      this.carryLen = 0;
      this.skipping = !fin;
      this.events.oversize();
      return;
    }
    this.ensureCarry();
    buf.copy(this.carry!, this.fragLen, p, end);
    this.fragLen += end - p;
    this.carryLen = this.fragLen;
    if (fin) {
      const opcode = this.fragOp;
      const n = this.fragLen;
      this.fragOp = 0;
      this.fragLen = 0;
      this.carryLen = 0;
      this.events.message(opcode, this.carry!, 0, n);
    }
  }

  private keep(buf: Buffer, start: number, end: number): void {
    this.ensureCarry();
    buf.copy(this.carry!, this.carryLen, start, end);
    this.carryLen += end - start;
  }

  /** Room for a whole message's fragments plus one more frame (header and payload) behind them. */
  private ensureCarry(): void {
    if (this.carry === null) this.carry = Buffer.allocUnsafe(2 * (this.maxMessage + MAX_HEADER));
  }

  private fail(why: string): void {
    this.failed = true;
    this.events.violation(why);
  }
}

/**
 * Total size (header + payload) of the frame starting at buf[pos], or -1 when its header is not
 * complete before `end`. Lengths beyond 2^53 cannot be real; they come out as huge and are skipped.
 */
function frameSize(buf: Buffer, pos: number, end: number): number {
  if (end - pos < 2) return -1;
  const len7 = buf[pos + 1]! & 0x7f;
  const mask = (buf[pos + 1]! & 0x80) !== 0 ? 4 : 0;
  if (len7 < 126) return 2 + mask + len7;
  if (len7 === 126) return end - pos < 4 ? -1 : 4 + mask + buf.readUInt16BE(pos + 2);
  if (end - pos < 10) return -1;
  return 10 + mask + buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
}
