import type { Socket } from 'node:net';

/**
 * Turns TCP keepalive on for one accepted socket, with the first probe after `baseMs` of silence
 * plus a random share of it (up to 2 × baseMs). Spreading the probes matters when many connections
 * arrive together: they would otherwise go idle together and probe in one burst (see keepaliveMs in
 * src/core/limits.ts). Node rounds the delay to whole seconds, so there are baseMs/1000 spreads.
 */
export function armKeepAlive(socket: Socket, baseMs: number): void {
  socket.setKeepAlive(true, baseMs + Math.floor(Math.random() * baseMs));
}
