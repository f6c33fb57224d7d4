import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { waitUntil } from './wait.js';

/** A client frame as a browser sends it: masked with `mask`; `fin` false for a fragment that is not the last. */
export function clientFrame(opcode: number, payload: Buffer, fin = true, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const n = payload.length;
  const first = (fin ? 0x80 : 0) | opcode;
  const head = n < 126 ? Buffer.from([first, 0x80 | n]) : n < 65536 ? Buffer.from([first, 0x80 | 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([first, 0x80 | 127, 0, 0, 0, 0]), Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])]);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

/** One frame the server sent (server frames are unmasked). */
export interface ServerFrame {
  readonly op: number;
  readonly payload: Buffer;
}

/**
 * A WebSocket client on a raw socket, for what a library client would refuse to send (endless
 * fragments, floods while not reading): the upgrade by hand, then raw frames out and every byte in,
 * parsed into frames on demand.
 */
export class RawWs {
  /** Bytes received and not yet parsed (the upgrade response until it is complete, then a partial frame). */
  private bytes: Buffer = Buffer.alloc(0);
  private upgraded = false;
  /** Every complete frame received so far, in order. */
  readonly frames: ServerFrame[] = [];
  closed = false;
  /** The socket was reset (a reader later than the server's linger). */
  reset = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.bytes = this.bytes.length === 0 ? d : Buffer.concat([this.bytes, d]);
      if (this.upgraded) this.parse();
    });
    socket.on('error', () => (this.reset = true));
    socket.on('close', () => (this.closed = true));
  }

  /** Upgrades ws://127.0.0.1:PORT/ws, offering `subprotocol` if given; resolves once the 101 is in. */
  static async open(port: number, subprotocol?: string): Promise<RawWs> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const ws = new RawWs(socket);
    const offer = subprotocol === undefined ? '' : `Sec-WebSocket-Protocol: ${subprotocol}\r\n`;
    socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${offer}\r\n`);
    await waitUntil(() => ws.bytes.includes('\r\n\r\n') || ws.closed, () => `no upgrade answer: ${JSON.stringify(ws.bytes.toString())}`);
    const end = ws.bytes.indexOf('\r\n\r\n');
    const head = ws.bytes.subarray(0, end).toString();
    if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${head}`);
    ws.bytes = ws.bytes.subarray(end + 4);
    ws.upgraded = true;
    ws.parse();
    return ws;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** A text message in one frame. */
  text(message: string): void {
    this.send(clientFrame(0x1, Buffer.from(message)));
  }

  /** Writes `bytes` and resolves once the kernel has taken them (the server has read most of them). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Moves the complete frames of `bytes` to `frames`. */
  private parse(): void {
    const b = this.bytes;
    let at = 0;
    while (b.length - at >= 2) {
      let len = b[at + 1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (b.length - at < 4) break;
        len = b.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (b.length - at < 10) break;
        len = b.readUInt32BE(at + 6);
        head = 10;
      }
      if (b.length - at < head + len) break;
      this.frames.push({ op: b[at]! & 0x0f, payload: Buffer.from(b.subarray(at + head, at + head + len)) });
      at += head + len;
    }
    this.bytes = Buffer.from(b.subarray(at));
  }

  /** The text frames received so far. */
  get texts(): string[] {
    return this.frames.filter((f) => f.op === 0x1).map((f) => f.payload.toString());
  }

  /** The code of the server's close frame, once received; undefined before. */
  get closeCode(): number | undefined {
    const close = this.frames.find((f) => f.op === 0x8);
    return close === undefined ? undefined : close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
  }

  /** Resolves once a text frame matches `re`. */
  async waitText(re: RegExp): Promise<string> {
    await waitUntil(() => this.texts.some((t) => re.test(t)), () => `no frame ${re}; got ${JSON.stringify(this.texts.slice(-5))}`);
    return this.texts.find((t) => re.test(t))!;
  }

  /** Resolves with the server's close code once its close frame is in and the socket has closed. */
  async waitClosed(): Promise<number | undefined> {
    await waitUntil(() => this.closed, () => `not closed; last frames ${JSON.stringify(this.texts.slice(-3))}, close ${this.closeCode}`);
    return this.closeCode;
  }
}
