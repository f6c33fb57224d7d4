import type { ChatContext } from '../../core/context.js';
import type { HandshakeAnswer, Protocol, RefusalCode, UpgradeProtocol, UpgradeRequest } from '../../core/transport.js';
import { handshake, offeredSubprotocols } from './handshake.js';
import { IRCV3_SUBPROTOCOLS, lineProtocolOverWebSocket } from './line-bridge.js';
import { REFUSALS } from './render.js';
import { WsSession, type WsSettings } from './session.js';

/**
 * The WebSocket endpoint as the web listener sees it: the upgrade handshake (Origin checked against
 * the server itself and `origins`), then a WsSession (the browser protocol) per upgraded socket, or,
 * when the client offers an IRCv3 WebSocket subprotocol (text.ircv3.net, binary.ircv3.net) and an
 * `irc` protocol is given, an IRC session carried over frames (web IRC clients such as gamja and
 * Kiwi IRC). HTTP 503 refusals.
 */
export function wsProtocol(ctx: ChatContext, settings: WsSettings, origins: readonly string[], irc?: Protocol): UpgradeProtocol {
  const ircOverWs = irc === undefined ? undefined : lineProtocolOverWebSocket(irc, settings.maxPayload);
  return {
    id: 'ws',
    handshake: (req: UpgradeRequest): HandshakeAnswer => {
      const sub = ircOverWs === undefined ? undefined : offeredSubprotocols(req).find((p) => (IRCV3_SUBPROTOCOLS as readonly string[]).includes(p));
      const answer = handshake(req, origins, sub);
      return answer.kind === 'accept' && sub !== undefined ? { ...answer, protocol: ircOverWs } : answer;
    },
    createSession: (transport) => new WsSession(transport, ctx, settings).connection,
    refusal: (code: RefusalCode) => REFUSALS[code],
  };
}
