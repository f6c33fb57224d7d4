import type { CloseCode } from '../core/close-reasons.js';
import type { Session, Transport } from '../core/transport.js';
import type { Sink } from '../core/sink.js';
import { monotonicMs } from '../core/clock.js';
import { PacedSink } from '../core/paced-sink.js';

/** Node's default socket highWaterMark: write() returns false at the same point a socket would. */
const HIGH_WATER = 16 * 1024;

/**
 * An in-memory socket for simulated clients, driving the real session, hub and outbox. A reading
 * client takes every byte at once (a reader on a fast loopback socket). A frozen one never reads:
 * its simulated kernel buffer (`kernelBuffer` bytes) fills first, then bytes stay in user space
 * (writableLength), write() returns false past the high-water mark, and no 'drain' ever comes.
 * With a `linkRate`, a simulated link (PacedSink) is put around the socket, as member.ts does for
 * --link-rate: it pushes back like a socket, and its running empty is the session's 'drain'.
 */
export class SimTransport implements Transport {
  readonly remoteAddress = '127.0.0.1';
  readonly secure = false;
  session!: Session;
  reading = true;
  closedWith: CloseCode | undefined;
  private kernel = 0;
  private held = 0;
  private partial = '';
  private readonly link: PacedSink | undefined;

  constructor(
    readonly remotePort: number,
    private readonly kernelBuffer: number,
    /** Every complete line the client reads. */
    private readonly onLine: (line: string) => void,
    /** Bandwidth of a simulated link in bytes per second; 0 = none. */
    linkRate = 0,
  ) {
    if (linkRate > 0) {
      // The socket under the link: what write() is without one.
      const transport = this;
      const socket: Sink = {
        write: (chunk: Buffer): boolean => this.toSocket(chunk),
        get writableLength(): number {
          return transport.held;
        },
      };
      this.link = new PacedSink(socket, linkRate, monotonicMs);
      this.link.attach(() => this.session.drained());
    }
  }

  get writableLength(): number {
    return this.link ? this.link.writableLength : this.held;
  }

  write(chunk: Buffer): boolean {
    if (this.closedWith !== undefined) return true;
    return this.link ? this.link.write(chunk) : this.toSocket(chunk);
  }

  private toSocket(chunk: Buffer): boolean {
    if (this.reading) {
      this.read(chunk);
      return true;
    }
    const room = Math.max(0, this.kernelBuffer - this.kernel);
    const intoKernel = Math.min(room, chunk.length);
    this.kernel += intoKernel;
    this.held += chunk.length - intoKernel;
    return this.held < HIGH_WATER;
  }

  end(code: CloseCode): void {
    this.close(code);
  }

  destroy(code: CloseCode): void {
    this.close(code);
  }

  pause(): void {}
  resume(): void {}

  private read(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const l of lines) this.onLine(l);
  }

  private close(code: CloseCode): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = code;
    this.link?.close();
    // As a socket's 'close' event: after the current turn, exactly once.
    setImmediate(() => this.session.closed(code));
  }
}
