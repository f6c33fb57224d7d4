import type { ChatContext } from '../../core/context.js';
import type { Protocol, RefusalCode } from '../../core/transport.js';
import { IrcRenderer, REFUSALS } from './render.js';
import { IrcSession, type IrcSettings } from './session.js';

/**
 * IRC as a listener sees it: an IrcSession per connection, `ERROR` refusals. The two renderers
 * (plain and server-time) are built once here and shared by every session, so the hub's
 * render-once cache sees at most two IRC renderers per broadcast.
 */
export function ircProtocol(ctx: ChatContext, settings: Omit<IrcSettings, 'renderers'>): Protocol {
  const { serverName } = settings;
  const full: IrcSettings = { ...settings, renderers: { plain: new IrcRenderer(serverName, serverName, false), timed: new IrcRenderer(serverName, serverName, true) } };
  return {
    id: 'irc',
    createSession: (transport) => new IrcSession(transport, ctx, full).connection,
    refusal: (code: RefusalCode) => REFUSALS[code],
  };
}
