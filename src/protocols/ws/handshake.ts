import { createHash } from 'node:crypto';
import type { HandshakeAnswer, UpgradeRequest } from '../../core/transport.js';

/** RFC 6455 section 1.3: the GUID appended to the client's key. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * The opening handshake (RFC 6455 section 4.2), pure. Checks the method, the upgrade headers, the
 * version (13) and the key, and the Origin: a browser page from another site MUST NOT be able to
 * open a socket with the user's network position (cross-site WebSocket hijacking), so an `Origin`
 * header must name this server itself (same scheme, host and port as the request's Host) or one of
 * `allowedOrigins`. Clients that send no Origin are not browsers and are let through.
 */
export function handshake(req: UpgradeRequest, allowedOrigins: readonly string[], subprotocol?: string): HandshakeAnswer {
  const h = req.headers;
  if (req.method !== 'GET') return refuse(405, 'Method Not Allowed', 'not a GET');
  if (!/(^|,)\s*websocket\s*(,|$)/i.test(header(h, 'upgrade'))) return refuse(426, 'Upgrade Required', 'no Upgrade: websocket');
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(header(h, 'connection'))) return refuse(400, 'Bad Request', 'no Connection: upgrade');
  if (header(h, 'sec-websocket-version') !== '13') return refuse(426, 'Upgrade Required', 'WebSocket version is not 13', 'Sec-WebSocket-Version: 13\r\n');
  const key = header(h, 'sec-websocket-key');
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return refuse(400, 'Bad Request', 'bad Sec-WebSocket-Key');
  const origin = header(h, 'origin');
  if (origin !== '' && !originAllowed(origin, header(h, 'host'), req.secure, allowedOrigins)) {
    return refuse(403, 'Forbidden', `cross-origin request from ${origin.slice(0, 100)}`);
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return {
    kind: 'accept',
    response: Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${subprotocol === undefined ? '' : `Sec-WebSocket-Protocol: ${subprotocol}\r\n`}\r\n`),
  };
}

/** The subprotocols a client offers (Sec-WebSocket-Protocol), in its order of preference. */
export function offeredSubprotocols(req: UpgradeRequest): string[] {
  return header(req.headers, 'sec-websocket-protocol')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Same origin as the request (scheme + Host), or listed. Compared case-insensitively, as origins are. */
export function originAllowed(origin: string, host: string, secure: boolean, allowed: readonly string[]): boolean {
  const o = origin.toLowerCase();
  if (host !== '' && o === `${secure ? 'https' : 'http'}://${host.toLowerCase()}`) return true;
  return allowed.some((a) => a.toLowerCase() === o);
}

/** An HTTP error response that closes the connection. */
export function httpError(status: number, text: string, extraHeaders = ''): Buffer {
  const body = `${status} ${text}\n`;
  return Buffer.from(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`);
}

function refuse(status: number, text: string, why: string, extraHeaders = ''): HandshakeAnswer {
  return { kind: 'refuse', response: httpError(status, text, extraHeaders), why };
}

function header(h: UpgradeRequest['headers'], name: string): string {
  const v = h[name];
  return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim();
}
