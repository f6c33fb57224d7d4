import type { ChatContext } from '../../core/context.js';
import type { Protocol, RefusalCode } from '../../core/transport.js';
import { IrcRenderers, REFUSALS } from './render.js';
import { IrcSession, type IrcSettings } from './session.js';

/**
 * IRC as a listener sees it: an IrcSession per connection, `ERROR` refusals. The renderer variants
 * (server-time, away-notify) are built once here and shared by every session, so the hub's
 * render-once cache sees at most one IRC renderer per variant per broadcast.
 */
export function ircProtocol(ctx: ChatContext, settings: Omit<IrcSettings, 'renderers'>): Protocol {
  const { serverName } = settings;
  const full: IrcSettings = { ...settings, renderers: new IrcRenderers(serverName, serverName) };
  return {
    id: 'irc',
    createSession: (transport) => new IrcSession(transport, ctx, full).connection,
    refusal: (code: RefusalCode) => REFUSALS[code],
  };
}
