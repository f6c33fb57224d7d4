/**
 * Bytes -> lines for the line-based protocols (text, IRC). Pure: no sockets, no timers.
 *
 * Contract:
 * - A line ends in LF; a CR right before the LF is removed. Lines are delivered in order, each once.
 * - Lines are delivered as raw bytes; decoding happens per complete line, so a UTF-8 character split
 *   across TCP segments decodes correctly.
 * - Memory is bounded in bytes and in pieces: at most maxLine + 1 bytes of an unfinished line are
 *   kept, in one buffer however many reads they came in (one byte per read would otherwise be one
 *   Buffer, ~100 bytes of heap, per byte). A longer line is reported once through `tooLong` and its
 *   bytes are skipped up to and including its LF. Nothing is kept between lines.
 * - In chunk framing (the seed's client, which sends no newlines), whatever is left unterminated at
 *   the end of each pushed chunk is delivered as a line too.
 */
export interface LineSink {
  /** One complete line without its line ending. The buffer MAY alias the pushed chunk: copy to keep. */
  line(bytes: Buffer): void;
  /** A line exceeded maxLine bytes; it is being discarded. Called once per such line. */
  tooLong(): void;
}

const LF = 0x0a;
const CR = 0x0d;
/** The smallest buffer an unfinished line gets (a username, a short command fit without growing). */
const MIN_PART = 64;

export class LineDecoder {
  /** The unfinished line: its first partLength bytes; the rest is room to grow (up to maxLine + 1). */
  private part: Buffer | undefined;
  private partLength = 0;
  private discarding = false;
  /** When true, the unterminated rest of every chunk is a line of its own (seed-client framing). */
  chunkFraming = false;

  constructor(
    private readonly maxLine: number,
    private readonly sink: LineSink,
  ) {}

  /** Bytes of an unfinished line currently held. */
  get pendingBytes(): number {
    return this.partLength;
  }

  /** Buffers held for an unfinished line: 0 or 1. */
  get pendingBuffers(): number {
    return this.part === undefined ? 0 : 1;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      if (this.discarding) {
        this.discarding = false;
      } else {
        this.emit(chunk, start, nl);
      }
      start = nl + 1;
    }
    if (start < chunk.length && !this.discarding) {
      if (this.chunkFraming) {
        this.emit(chunk, start, chunk.length);
      } else {
        this.keep(chunk.subarray(start));
      }
    }
  }

  /** Delivers any unfinished line (e.g. at the moment a connection switches to chunk framing). */
  flushPartial(): void {
    if (this.partLength === 0) return;
    const rest = this.take();
    this.sink.line(stripCr(rest));
  }

  private emit(chunk: Buffer, from: number, to: number): void {
    let line: Buffer;
    if (this.partLength === 0) {
      line = chunk.subarray(from, to);
    } else {
      line = Buffer.concat([this.take(), chunk.subarray(from, to)]);
    }
    line = stripCr(line);
    if (line.length > this.maxLine) {
      this.sink.tooLong();
      return;
    }
    this.sink.line(line);
  }

  private keep(rest: Buffer): void {
    // maxLine + 1 leaves room for the CR of a CRLF that has not fully arrived yet.
    const length = this.partLength + rest.length;
    if (length > this.maxLine + 1) {
      this.take();
      this.discarding = true;
      this.sink.tooLong();
      return;
    }
    // Copy into our own buffer: the socket's chunk must not stay pinned by a few bytes of an
    // unfinished line. It grows by doubling, so a line arriving a byte at a time costs O(n) copies.
    if (this.part === undefined || this.part.length < length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxLine + 1, Math.max(length, 2 * (this.part?.length ?? 0), MIN_PART)));
      this.part?.copy(grown, 0, 0, this.partLength);
      this.part = grown;
    }
    rest.copy(this.part, this.partLength);
    this.partLength = length;
  }

  /** The unfinished line, handed over (the decoder keeps no reference to it). */
  private take(): Buffer {
    const whole = this.part === undefined ? Buffer.alloc(0) : this.part.subarray(0, this.partLength);
    this.part = undefined;
    this.partLength = 0;
    return whole;
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}
