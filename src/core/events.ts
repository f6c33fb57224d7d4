/**
 * What the hub routes. Events are protocol-neutral facts; each protocol renders them into its own
 * bytes (src/protocols/<name>/render.ts). Text in events is already sanitised (src/core/sanitize.ts).
 */
export type ChatEvent =
  /** A user said something in a room. */
  | { readonly kind: 'message'; readonly from: string; readonly room: string; readonly text: string }
  /** `/me`: an action in a room. */
  | { readonly kind: 'action'; readonly from: string; readonly room: string; readonly text: string }
  /** A private message to one user. */
  | { readonly kind: 'private'; readonly from: string; readonly to: string; readonly text: string }
  /** Someone entered a room: by logging in (`login`) or by /join (`move`). */
  | { readonly kind: 'joined'; readonly user: string; readonly room: string; readonly how: 'login' | 'move' }
  /** Someone left a room: by ending the session (`logout`) or by /join elsewhere (`move`). */
  | { readonly kind: 'left'; readonly user: string; readonly room: string; readonly how: 'logout' | 'move' }
  /** The server speaking to one user (errors, command output, notices). */
  | { readonly kind: 'notice'; readonly text: string };

/** Turns events into wire bytes. One instance per protocol; the hub caches its output per broadcast. */
export interface Renderer {
  /** MUST be pure: the same event always renders to the same bytes, shared by every recipient. */
  render(event: ChatEvent): Buffer;
}
