import { createHash, randomBytes } from 'node:crypto';

/**
 * The client side of the WebSocket opening handshake (RFC 6455 section 4.1), minimal: one GET with
 * the upgrade headers, and a check of the server's 101 answer and its Sec-WebSocket-Accept. Runs
 * once per connection at login, so plain strings are fine here.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WsHandshake {
  /** The request bytes to write right after connecting. */
  readonly request: string;
  /** The Sec-WebSocket-Accept value a correct server answers with. */
  readonly accept: string;
}

/** `subprotocol`: offered in Sec-WebSocket-Protocol (text.ircv3.net for IRC over WebSocket). */
export function wsHandshake(host: string, port: number, path: string, subprotocol?: string): WsHandshake {
  const key = randomBytes(16).toString('base64');
  const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    request: `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${subprotocol === undefined ? '' : `Sec-WebSocket-Protocol: ${subprotocol}\r\n`}\r\n`,
    accept: createHash('sha1').update(key + GUID).digest('base64'),
  };
}

/**
 * Checks a complete response head (up to the blank line, excluded): null when it is a valid 101
 * switching to websocket with the expected accept value, else why not (the status line for a refusal).
 */
export function handshakeProblem(head: string, accept: string): string | null {
  const lines = head.split('\r\n');
  const status = lines[0] ?? '';
  if (!/^HTTP\/1\.1 101 /.test(status)) return `upgrade refused: ${status.slice(0, 100)}`;
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
  }
  if ((headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') return 'upgrade answer without Upgrade: websocket';
  if (headers.get('sec-websocket-accept') !== accept) return 'upgrade answer with a wrong Sec-WebSocket-Accept';
  return null;
}
