import type { ChatContext } from '../../core/context.js';
import type { Protocol, RefusalCode } from '../../core/transport.js';
import { REFUSALS } from './render.js';
import { TextSession, type TextSettings } from './session.js';

/** The seed's line protocol as a listener sees it: a TextSession per connection, `[SERVER]` refusals. */
export function textProtocol(ctx: ChatContext, settings: TextSettings): Protocol {
  return {
    id: 'text',
    createSession: (transport) => new TextSession(transport, ctx, settings),
    refusal: (code: RefusalCode) => REFUSALS[code],
  };
}
