import type { ChatEvent, Renderer } from '../../core/events.js';
import type { RefusalCode } from '../../core/transport.js';
import { textFrame } from './frame-codec.js';
import { httpError } from './handshake.js';
import type { ServerMessage } from './messages.js';

/** A hub event as the browser protocol's message (src/protocols/ws/messages.ts). */
export function wsMessage(event: ChatEvent): ServerMessage {
  switch (event.kind) {
    case 'message':
    case 'action':
      return { type: event.kind, id: event.stamp.id, at: event.stamp.at, from: event.from, room: event.room, text: event.text };
    case 'private':
      return { type: 'private', id: event.stamp.id, at: event.stamp.at, from: event.from, to: event.to, text: event.text };
    case 'joined':
      return { type: 'joined', at: event.stamp.at, user: event.user, room: event.room, how: event.how };
    case 'left':
      return { type: 'left', at: event.stamp.at, user: event.user, room: event.room, how: event.how };
    case 'topic':
      return { type: 'topic', at: event.stamp.at, by: event.by, room: event.room, text: event.text };
    case 'away':
      return { type: 'away', at: event.stamp.at, user: event.user, text: event.text };
    case 'history': {
      const e = event.entry;
      if (e.kind === 'topic') return { type: 'topic', at: e.at, by: e.from, room: e.room, text: e.text, history: true };
      return { type: e.kind, id: 0, at: e.at, from: e.from, room: e.room, text: e.text, history: true };
    }
    case 'offline':
      return { type: 'private', id: 0, at: event.entry.at, from: event.entry.from, to: event.entry.to, text: event.entry.text, offline: true };
    case 'notice':
      return { type: 'notice', text: event.text };
    case 'closing':
      return { type: 'closing', text: event.text };
  }
}

/** One server message as one complete WebSocket text frame. */
export function wsFrame(message: ServerMessage): Buffer {
  return textFrame(JSON.stringify(message));
}

/**
 * Events -> complete WebSocket frames (one JSON text frame each). The hub renders a broadcast once
 * and the very same frame bytes go to every WebSocket recipient: no per-recipient JSON or framing.
 * Frames are self-delimiting, so renders concatenate safely.
 */
export const wsRenderer: Renderer = {
  id: 'ws',
  render(event: ChatEvent): Buffer {
    return wsFrame(wsMessage(event));
  },
};

/** What an upgrade refused at accept time gets: an HTTP 503 (no WebSocket exists yet). */
export const REFUSALS: Readonly<Record<RefusalCode, Buffer>> = {
  SERVER_FULL: httpError(503, 'Service Unavailable', 'Retry-After: 10\r\n'),
  TOO_MANY_FROM_IP: httpError(503, 'Service Unavailable', 'Retry-After: 10\r\n'),
};
