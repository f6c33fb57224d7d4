/**
 * The IRCv3 capabilities this server implements. Its own module so the registration commands and
 * the session can both use them without one importing the other at run time.
 */

/** CAP LS advertises exactly these. */
export const CAPS = ['away-notify', 'batch', 'cap-notify', 'draft/chathistory', 'echo-message', 'message-tags', 'multi-prefix', 'sasl', 'server-time', 'userhost-in-names'] as const;
export type Cap = (typeof CAPS)[number];
/** Capabilities that choose the renderer: fixed once registered (the member keeps its renderer). */
export const RENDERER_CAPS: ReadonlySet<Cap> = new Set(['away-notify', 'server-time']);
