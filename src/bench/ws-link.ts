import type { Socket } from 'node:net';
import type { ClientMessage } from '../protocols/ws/messages.js';
import { WS_OP, WsFrameReader } from './ws-frame-reader.js';
import { WsFrameWriter } from './ws-frame-writer.js';
import { handshakeProblem, wsHandshake, type WsHandshake } from './ws-handshake.js';

/** What a WebSocket connection hands its owner (ClientConn). */
export interface WsLinkEvents {
  /** The server answered the upgrade with a valid 101: frames may be sent now. */
  opened(): void;
  /** One complete text message; the bytes are only valid during the call. */
  text(buf: Buffer, start: number, end: number): void;
  /** A message the bench does not read (binary, or longer than the reader keeps). */
  other(): void;
  failed(why: string): void;
}

/** Longest upgrade answer head we wait for; a server that sends more is not one we can talk to. */
const MAX_HEAD = 16 * 1024;

/**
 * The WebSocket layer of one generator connection on a raw net.Socket: writes the upgrade request on
 * connect, checks the 101, then parses frames (WsFrameReader) and answers pings itself, so that an
 * idle connection stays alive through the server's keepalive exactly as a browser's would.
 */
export class WsLink {
  private readonly hs: WsHandshake;
  private readonly reader: WsFrameReader;
  private readonly writer = new WsFrameWriter();
  /** The upgrade answer read so far; null once the connection is open. */
  private head: string | null = '';

  constructor(private readonly socket: Socket, host: string, port: number, path: string, private readonly events: WsLinkEvents, subprotocol?: string) {
    this.hs = wsHandshake(host, port, path, subprotocol);
    socket.once('connect', () => socket.write(this.hs.request));
    this.reader = new WsFrameReader({
      message: (op, b, s, e) => { if (op === WS_OP.text) events.text(b, s, e); else events.other(); },
      control: (op, b, s, e) => { if (op === WS_OP.ping) socket.write(this.writer.pong(b, s, e)); },
      oversize: () => events.other(),
      violation: (why) => events.failed(`websocket: ${why}`),
    });
  }

  feed(buf: Buffer, start: number, end: number): void {
    if (this.head === null) {
      this.reader.feed(buf, start, end);
      return;
    }
    this.head += buf.toString('latin1', start, end);
    const i = this.head.indexOf('\r\n\r\n');
    if (i < 0) {
      if (this.head.length > MAX_HEAD) this.events.failed('upgrade answer too long');
      return;
    }
    const problem = handshakeProblem(this.head.slice(0, i), this.hs.accept);
    if (problem !== null) {
      this.events.failed(problem);
      return;
    }
    // Frames may follow the 101 in the same read (the server's hello does).
    const rest = Buffer.from(this.head.slice(i + 4), 'latin1');
    this.head = null;
    this.events.opened();
    this.reader.feed(rest, 0, rest.length);
  }

  /** A browser-protocol message as a masked text frame (login-time messages; typed by messages.ts). */
  frame(message: ClientMessage): Buffer {
    return this.writer.text(JSON.stringify(message));
  }

  /** Already serialised JSON as a masked text frame: the send hot path builds its string itself. */
  send(json: string): void {
    this.socket.write(this.writer.text(json));
  }

  /** The closing handshake's first frame; the server answers with its own and closes the connection. */
  close(): void {
    this.socket.write(this.writer.close());
  }
}
