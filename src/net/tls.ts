import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, createServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Protocol, RefusalCode } from '../core/transport.js';
import type { Logger } from '../core/log.js';
import type { Listeners, Refusal } from './listeners.js';

/** A start-up problem with the TLS files; the message is one sentence naming the file and the flag. */
export class TlsSetupError extends Error {
  override readonly name = 'TlsSetupError';
}

/** PEM text of a certificate chain and its private key, checked to load and to match. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Reads and checks --tls-cert and --tls-key. Call before any listener starts, so a bad file stops
 * the server before it accepts anyone. Throws TlsSetupError.
 */
export function loadTlsCredentials(certFile: string, keyFile: string): TlsCredentials {
  const cert = readPem(certFile, '--tls-cert');
  const key = readPem(keyFile, '--tls-key');
  tryContext(() => createSecureContext({ cert }), `--tls-cert ${certFile} is not a PEM certificate`);
  tryContext(() => createSecureContext({ key }), `--tls-key ${keyFile} is not a PEM private key (or it is encrypted)`);
  tryContext(() => createSecureContext({ cert, key }), `--tls-key ${keyFile} does not belong to the certificate in --tls-cert ${certFile}`);
  return { cert, key };
}

/**
 * The certificate and key every TLS listener serves (--tls-cert, --tls-key), read again on SIGHUP
 * (`reload`), so a renewed certificate (Let's Encrypt's every 60-90 days) is served without a
 * restart. Connections already open keep the certificate they were opened with and are not
 * touched; each handshake after a reload gets the new one.
 */
export class TlsFiles implements TlsCredentials {
  private current: TlsCredentials;
  private readonly servers: TlsServer[] = [];

  /** Reads and checks both files (loadTlsCredentials); throws TlsSetupError. */
  constructor(
    readonly certFile: string,
    readonly keyFile: string,
  ) {
    this.current = loadTlsCredentials(certFile, keyFile);
  }

  get cert(): Buffer {
    return this.current.cert;
  }

  get key(): Buffer {
    return this.current.key;
  }

  /** `server` (TLS, or HTTPS) is given the new certificate on every reload; returns it. */
  serve<S extends TlsServer>(server: S): S {
    this.servers.push(server);
    return server;
  }

  /**
   * Reads and checks both files again and hands them to every listener for new handshakes. Throws
   * TlsSetupError (a file missing, not PEM, a key that does not match) and then changes nothing:
   * the previous certificate stays in use, so a half-written renewal cannot take TLS down.
   */
  reload(): void {
    const next = loadTlsCredentials(this.certFile, this.keyFile);
    for (const server of this.servers) server.setSecureContext({ cert: next.cert, key: next.key });
    this.current = next;
  }
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : err instanceof Error ? err.message : String(err);
    throw new TlsSetupError(`cannot read ${flag} ${file}: ${why}`);
  }
}

function tryContext(make: () => unknown, problem: string): void {
  try {
    make();
  } catch (err: unknown) {
    throw new TlsSetupError(`${problem} (${err instanceof Error ? err.message : String(err)})`);
  }
}

export interface TlsListenOptions {
  host: string;
  port: number;
  credentials: TlsFiles;
  /** A peer that has not finished the handshake by then is dropped. */
  handshakeTimeoutMs: number;
  /** After its handshake, how long a refused socket may take to receive its refusal. */
  flushMs: number;
}

/**
 * Starts the TLS listener. Its sockets take their slot in `listeners` at accept, before the
 * handshake, like every other socket; each that completes its handshake goes to the same
 * Listeners (and so the same hub and rooms) as plain TCP, marked secure. Handshake failures
 * (garbage, wrong protocol, timeouts, resets) are logged as one `[TLS ERROR]` line and never reach
 * a session. Resolves with the bound port.
 */
export async function listenTls(listeners: Listeners, opts: TlsListenOptions, protocol: Protocol, log: Logger): Promise<number> {
  const server = createServer(
    {
      cert: opts.credentials.cert,
      key: opts.credentials.key,
      handshakeTimeout: opts.handshakeTimeoutMs,
      // tls.Server is a net.Server: this reaches the underlying TCP socket, as for plain TCP.
      // Keepalive is armed by Listeners at accept, for every listener.
      noDelay: true,
    },
    (socket) => listeners.accept(socket, true, protocol),
  );
  opts.credentials.serve(server);
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : err.message;
    log.event('TLS ERROR', `handshake failed from ('${socket.remoteAddress ?? 'unknown'}', ${socket.remotePort ?? 0}): ${code}`, {
      ip: socket.remoteAddress,
      port: socket.remotePort,
      reason: code,
    });
    // Node does not destroy the socket on every handshake error (not on a handshake timeout).
    socket.destroy();
  });
  return listeners.start(server, opts.host, opts.port, tlsRefusal(opts, protocol));
}

/**
 * How a TLS port refuses a socket at accept: there is no TLS session yet to say anything over, so
 * the refused socket is handed to a TLS server of its own that only refuses (one per reason, never
 * listening), and gets the protocol's words encrypted after its handshake. Like every refusal it is
 * bounded in number (refusalsMax) and in time: the handshake timeout plus `flushMs`.
 */
export function tlsRefusal(opts: Pick<TlsListenOptions, 'credentials' | 'handshakeTimeoutMs' | 'flushMs'>, protocol: Pick<Protocol, 'refusal'>): Refusal {
  const refusers = new Map<RefusalCode, TlsServer>();
  const refuser = (code: RefusalCode): TlsServer => {
    let server = refusers.get(code);
    if (server === undefined) {
      server = opts.credentials.serve(createServer({ cert: opts.credentials.cert, key: opts.credentials.key, handshakeTimeout: opts.handshakeTimeoutMs }, (socket) => {
        socket.on('error', ignore);
        // Read and drop what the peer sends, so that its close is seen at once.
        socket.resume();
        socket.end(protocol.refusal(code));
      }));
      server.on('tlsClientError', destroyQuietly);
      refusers.set(code, server);
    }
    return server;
  };
  return {
    lingerMs: opts.handshakeTimeoutMs + opts.flushMs,
    say(socket: Socket, code: RefusalCode): void {
      // The documented way to hand a tls.Server a connection it did not accept itself.
      refuser(code).emit('connection', socket);
    },
  };
}

function destroyQuietly(_err: Error, socket: TLSSocket): void {
  socket.destroy();
}

function ignore(): void {}
