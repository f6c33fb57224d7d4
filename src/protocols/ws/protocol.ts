import type { ChatContext } from '../../core/context.js';
import type { RefusalCode, UpgradeProtocol } from '../../core/transport.js';
import { handshake } from './handshake.js';
import { REFUSALS } from './render.js';
import { WsSession, type WsSettings } from './session.js';

/**
 * The browser protocol as the web listener sees it: the upgrade handshake (Origin checked against
 * the server itself and `origins`), a WsSession per upgraded socket, HTTP 503 refusals.
 */
export function wsProtocol(ctx: ChatContext, settings: WsSettings, origins: readonly string[]): UpgradeProtocol {
  return {
    id: 'ws',
    handshake: (req) => handshake(req, origins),
    createSession: (transport) => new WsSession(transport, ctx, settings).connection,
    refusal: (code: RefusalCode) => REFUSALS[code],
  };
}
