/**
 * The browser protocol: one JSON object per WebSocket text frame, both ways, on `/ws`. This module
 * is the single definition; the server (src/protocols/ws/) and the page (src/web/) both import it,
 * and docs/PROTOCOL.md ("WebSocket") describes it for people.
 *
 * Rules:
 * - Every frame is one JSON object with a `type`. Unknown types, unknown fields' types, binary
 *   frames and invalid JSON get an `error` frame (code `bad-message`); the connection stays open.
 * - The first frame a client sends is `login`; anything else before login gets `error` code
 *   `not-logged-in`. Before login, the third `error` is followed by the close (1008).
 * - Times (`at`) are milliseconds since the epoch (UTC). `id` numbers increase per server.
 * - The server never echoes a user's own `say`/`action`/`private` back; the page shows its own
 *   lines itself. `topic` changes are sent to everyone in the room, the setter included.
 */

/** The protocol version the page and the server agree on (`hello.protocol`). */
export const WS_PROTOCOL_VERSION = 1;

// --- client to server ---

export type ClientMessage =
  /** Log in with the same accounts, throttling and duplicate rule as every protocol. */
  | { readonly type: 'login'; readonly user: string; readonly password: string }
  /** A chat line to a room the user is in. */
  | { readonly type: 'say'; readonly room: string; readonly text: string }
  /** `/me`: an action in a room. */
  | { readonly type: 'action'; readonly room: string; readonly text: string }
  /** A private message to a user online on any protocol. */
  | { readonly type: 'private'; readonly to: string; readonly text: string }
  /** Enter a room (created on first use), staying in the others. */
  | { readonly type: 'join'; readonly room: string }
  /** Leave one room. */
  | { readonly type: 'part'; readonly room: string }
  /** Set (or with '' clear) a room's topic. */
  | { readonly type: 'topic'; readonly room: string; readonly text: string }
  /**
   * Exactly what the user typed in the message box when it starts with `/` or `@`: the server runs
   * it as the text protocol would (`/join dev`, `/me waves`, `@user2 hi`, `/who`, `/stats`, ...),
   * `room` being the room the page shows. Answers come back as `notice` frames.
   */
  | { readonly type: 'command'; readonly room: string; readonly line: string }
  /**
   * Ask for a room's stored lines (a room the user is in): the last `limit` (default 50, at most the
   * server's --history) older than `before` (ms since the epoch; the latest without it). Answered
   * by `message`/`action`/`topic` frames with `history: true`, oldest first, then `history-end`.
   */
  | { readonly type: 'history'; readonly room: string; readonly before?: number; readonly limit?: number }
  /** Ask for a `presence` snapshot (sent once by itself after login). */
  | { readonly type: 'presence' }
  /** Ask for the user's own flow-control figures (a `stats` frame answers). */
  | { readonly type: 'stats' };

export type ClientMessageType = ClientMessage['type'];

/** Lines a `history` request without `limit` asks for. */
export const HISTORY_PAGE = 50;

// --- server to client ---

/** Why a login was refused. */
export type LoginRefusal = 'invalid' | 'throttled' | 'duplicate' | 'bad-name' | 'timeout' | 'unavailable';

/** Error codes in `error` frames (listed in docs/PROTOCOL.md). */
export type ErrorCode =
  /** Not JSON, not an object, unknown type, or fields of the wrong type. */
  | 'bad-message'
  /** A request that needs a login came before it. */
  | 'not-logged-in'
  /** `login` again after a successful login. */
  | 'already-logged-in'
  /** Not a member of the room named. */
  | 'not-in-room'
  /** A room name that breaks the rule (1-32 letters, digits, _ or -). */
  | 'bad-room'
  /** Too many rooms exist, or the user is in as many as allowed. */
  | 'too-many-rooms'
  /** A private message to someone who is not online. */
  | 'not-online'
  /** Empty text where text is needed. */
  | 'empty'
  /** Flood control refused the message (too many per second). */
  | 'too-fast';

export interface PresenceUser {
  readonly name: string;
  readonly rooms: readonly string[];
}

export interface RoomInfo {
  readonly room: string;
  readonly count: number;
  readonly topic?: string;
}

export type ServerMessage =
  /** First frame on every connection. */
  | { readonly type: 'hello'; readonly server: string; readonly version: string; readonly protocol: number }
  /** Login accepted. The user is in `rooms` (the default room). */
  | { readonly type: 'welcome'; readonly user: string; readonly admin: boolean; readonly rooms: readonly string[] }
  /** Login refused; the server closes the connection after this frame. */
  | { readonly type: 'login-failed'; readonly reason: LoginRefusal; readonly text: string; readonly retryAfterS?: number }
  /** `history: true`: replayed from the room's history (`history`, /history, --replay-on-join); `id` is then 0. */
  | { readonly type: 'message'; readonly id: number; readonly at: number; readonly from: string; readonly room: string; readonly text: string; readonly history?: true }
  | { readonly type: 'action'; readonly id: number; readonly at: number; readonly from: string; readonly room: string; readonly text: string; readonly history?: true }
  /** `offline: true`: kept while you were offline, delivered after your login; `id` is then 0. */
  | { readonly type: 'private'; readonly id: number; readonly at: number; readonly from: string; readonly to: string; readonly text: string; readonly offline?: true }
  /** Someone entered a room you are in (you too, when you join one). `how`: at login, or later. */
  | { readonly type: 'joined'; readonly at: number; readonly user: string; readonly room: string; readonly how: 'login' | 'join' }
  /** Someone left a room you are in, or the chat (`logout`: one frame, whatever rooms you shared). */
  | { readonly type: 'left'; readonly at: number; readonly user: string; readonly room: string; readonly how: 'logout' | 'part' }
  /** A user in one of your rooms set (`text`) or cleared (`text` '') their away status. */
  | { readonly type: 'away'; readonly at: number; readonly user: string; readonly text: string }
  | { readonly type: 'topic'; readonly at: number; readonly by: string; readonly room: string; readonly text: string; readonly history?: true }
  /**
   * The end of the answer to a `history` request (after its lines). `more`: older lines are stored
   * (ask again with `before` = the oldest line's `at`).
   */
  | { readonly type: 'history-end'; readonly room: string; readonly more: boolean }
  /** Everyone online and every room; the page keeps it current with joined/left frames. */
  | { readonly type: 'presence'; readonly users: readonly PresenceUser[]; readonly rooms: readonly RoomInfo[]; readonly truncated: boolean }
  /** The user's own flow state (/stats): queue, window, delay, counts. */
  | {
      readonly type: 'stats';
      readonly queue: number;
      readonly queueSize: number;
      readonly bytes: number;
      readonly queueBytes: number;
      readonly window: number | null;
      readonly inFlight: number;
      readonly delayMs: number;
      readonly messagesIn: number;
      readonly written: number;
      readonly dropped: number;
    }
  /** The server speaking to this user: command output, notices (including "N messages were dropped ..."). */
  | { readonly type: 'notice'; readonly text: string }
  /** A request failed; nothing else changed. */
  | { readonly type: 'error'; readonly code: ErrorCode; readonly text: string }
  /** The last frame before the server closes the connection (kicked, shutdown, send queue exceeded). */
  | { readonly type: 'closing'; readonly text: string };

export type ServerMessageType = ServerMessage['type'];

/** WebSocket close codes the server uses (RFC 6455 section 7.4 and the 4000-4999 private range). */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
  /** Login refused (the `login-failed` frame says why). */
  loginFailed: 4001,
  /** Kicked by an admin. */
  kicked: 4002,
  /** The send queue overflowed under --overflow disconnect, or did not drain. */
  tooSlow: 4003,
  /** No login within --login-timeout, or no input within --idle-timeout. */
  timeout: 4004,
} as const;
