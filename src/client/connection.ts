import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ClientOptions } from './args.js';

/** Giving up on a server that neither accepts nor refuses (e.g. a dropped SYN) after this long. */
const CONNECT_TIMEOUT_MS = 10_000;

const FRIENDLY: Record<string, string> = {
  ECONNREFUSED: 'connection refused; is the server running?',
  ENOTFOUND: 'host not found.',
  EAI_AGAIN: 'host name lookup failed.',
  ETIMEDOUT: 'timed out.',
  EHOSTUNREACH: 'host unreachable.',
  ENETUNREACH: 'network unreachable.',
  ECONNRESET: 'connection reset by the server.',
};

/** Certificate checks that --ca (or --insecure) can settle. */
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT',
]);

/** Why the connection failed, as the end of a sentence (with its full stop or question mark). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (FRIENDLY[code] !== undefined) return FRIENDLY[code]!;
  if (CERT_CODES.has(code)) return `${err.message}; use --ca FILE to trust the server's certificate.`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the certificate is not for this host; give --host as a name the certificate lists (e.g. localhost).`;
  if (code.startsWith('ERR_SSL_')) {
    // OpenSSL's own message is a long internal trace; its reason is the readable part.
    const reason: unknown = (err as Error & { reason?: unknown }).reason;
    return `TLS handshake failed (${typeof reason === 'string' ? reason : code}); is this a TLS port?`;
  }
  return `${err.message.replace(/[.:\s]+$/, '')}.`;
}

/**
 * Opens a plain TCP or TLS connection (TLS verifies the certificate against --ca or the system CAs
 * and the host name, unless --insecure). Resolves once connected (after the TLS handshake); rejects
 * with a one-sentence reason such as "cannot connect to 127.0.0.1:5693: host not found.".
 */
export function openConnection(opts: ClientOptions): Promise<Socket> {
  const where = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  return new Promise((resolve, reject) => {
    const socket: Socket = opts.tls
      ? tlsConnect({
        host: opts.host,
        port: opts.port,
        // SNI must not be an IP address; certificates for IPs are still checked against the IP.
        ...(isIP(opts.host) === 0 ? { servername: opts.host } : {}),
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        rejectUnauthorized: !opts.insecure,
      })
      : netConnect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
    const onError = (err: unknown): void => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${where}: ${describe(err)}`));
    };
    socket.once('error', onError);
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
