import type { Relay, Sink } from './sink.js';
import type { Clock } from './clock.js';
import { TokenBucket } from './token-bucket.js';

/**
 * The link's buffer, as a router's: a quarter second of its bandwidth, between 1 KiB and Node's
 * default socket highWaterMark (16 KiB). Past it, write() returns false: the congestion signal.
 */
const LINK_BUFFER_MS = 250;
const LINK_BUFFER_MIN = 1024;
const LINK_BUFFER_MAX = 16 * 1024;
/** Shortest pause between two pumps of the link; bounds timer wake-ups per limited client. */
const TICK_MS = 5;
/** The link may send this many milliseconds' worth of bytes at once after being idle. */
const BURST_MS = 50;

/**
 * A simulated bandwidth limit (`--link-rate`) in front of a real sink: bytes leave for the socket
 * at `rate` bytes per second (token bucket), possibly splitting a message, just as a slow network
 * path would. It behaves like a socket towards the outbox: write() returns false once its buffer
 * (a quarter second of bandwidth) is full, and writableLength counts what it holds plus what the socket holds, so the
 * outbox's byte bound and its congestion window see the link as part of the path.
 * Put around the transport where the member is built (src/core/member.ts), or by the simulation
 * around its in-memory socket; the outbox writing into it sees a Relay (src/core/sink.ts).
 *
 * Contract: write() never calls back into the outbox; the `onEmpty` given to attach() is called
 * from a timer or from innerDrained() (or setRate()) whenever the link has handed every byte to
 * the socket. Closed, it carries nothing and arms no timer.
 */
export class PacedSink implements Relay {
  private chunks: Buffer[] = [];
  private first = 0;
  private buffered = 0;
  private innerBlocked = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly bucket: TokenBucket;
  private highWater: number;
  private onEmpty: () => void = nothing;

  constructor(
    private readonly inner: Sink,
    private bytesPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.bucket = new TokenBucket(bytesPerSecond, burstOf(bytesPerSecond), clock());
    this.highWater = bufferOf(bytesPerSecond);
  }

  attach(onEmpty: () => void): void {
    this.onEmpty = onEmpty;
  }

  get rate(): number {
    return this.bytesPerSecond;
  }

  get writableLength(): number {
    return this.buffered + this.inner.writableLength;
  }

  /** 0 = unlimited: the link passes bytes straight through. */
  setRate(bytesPerSecond: number): void {
    this.bytesPerSecond = bytesPerSecond;
    this.bucket.reconfigure(bytesPerSecond, burstOf(bytesPerSecond), this.clock());
    this.highWater = bufferOf(bytesPerSecond);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pump(true);
  }

  write(chunk: Buffer): boolean {
    if (this.closed) return true;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.pump(false);
    return this.buffered < this.highWater;
  }

  /** The real socket drained after refusing more: resume carrying bytes. */
  innerDrained(): void {
    this.innerBlocked = false;
    if (this.buffered === 0) this.onEmpty();
    else this.pump(true);
  }

  close(): void {
    this.closed = true;
    this.chunks = [];
    this.first = 0;
    this.buffered = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Moves what the bucket allows to the socket; `notify` = may call onEmpty (not from write()). */
  pump(notify: boolean): void {
    if (this.closed || this.innerBlocked || this.buffered === 0) return;
    const now = this.clock();
    const allowed = this.bytesPerSecond === 0 ? this.buffered : this.bucket.takeUpTo(this.buffered, now);
    if (allowed > 0 && !this.inner.write(this.takeBytes(allowed))) this.innerBlocked = true;
    if (this.buffered === 0) {
      if (notify) this.onEmpty();
      return;
    }
    if (this.innerBlocked || this.timer) return;
    const wait = Math.max(TICK_MS, Math.ceil(this.bucket.waitMs(1, now)));
    this.timer = setTimeout(pumpLater, wait, this);
    this.timer.unref();
  }

  /** Called by the tick timer. */
  tick(): void {
    this.timer = undefined;
    this.pump(true);
  }

  private takeBytes(n: number): Buffer {
    this.buffered -= n;
    const head = this.chunks[this.first]!;
    if (head.length > n) {
      this.chunks[this.first] = head.subarray(n);
      return head.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const c = this.chunks[this.first]!;
      if (c.length <= left) {
        parts.push(c);
        left -= c.length;
        this.first++;
      } else {
        parts.push(c.subarray(0, left));
        this.chunks[this.first] = c.subarray(left);
        left = 0;
      }
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first > 32 && this.first * 2 > this.chunks.length) {
      // Drop the consumed slots so they do not keep sent buffers alive.
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }
}

function bufferOf(bytesPerSecond: number): number {
  if (bytesPerSecond === 0) return LINK_BUFFER_MAX;
  return Math.min(LINK_BUFFER_MAX, Math.max(LINK_BUFFER_MIN, Math.ceil((bytesPerSecond * LINK_BUFFER_MS) / 1000)));
}

function burstOf(bytesPerSecond: number): number {
  return Math.max(64, Math.ceil((bytesPerSecond * BURST_MS) / 1000));
}

function nothing(): void {}

function pumpLater(link: PacedSink): void {
  link.tick();
}
