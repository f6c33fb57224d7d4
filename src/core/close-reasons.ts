/**
 * Why a connection ended. Every close has one of these codes; the log and the docs use them
 * (README "Close reasons"). Add a code here, never a free-form reason elsewhere.
 */
export const CLOSE_REASONS = {
  CLIENT_EXIT: 'the user typed exit or /quit',
  PEER_CLOSED: 'the client closed the connection',
  SOCKET_ERROR: 'the connection failed (reset, broken pipe, keepalive timeout)',
  AUTH_FAILED: 'wrong username or password',
  BAD_USERNAME: 'too many invalid usernames at the login prompt',
  DUPLICATE_LOGIN: 'the username is already logged in',
  AUTH_THROTTLED: 'too many failed logins from this IP address',
  LOGIN_TIMEOUT: 'login not finished within --login-timeout',
  IDLE_TIMEOUT: 'no input within --idle-timeout',
  SENDQ_EXCEEDED: 'the send queue overflowed under --overflow disconnect, or a client not yet logged in did not read its answers',
  DRAIN_TIMEOUT: 'the socket did not drain within --drain-timeout',
  KICKED: 'an admin used /kick',
  PING_TIMEOUT: 'the client did not answer a keepalive ping (WebSocket, IRC)',
  PROTOCOL_ERROR: 'the client broke its wire protocol (a bad WebSocket frame, a message over the size or fragment limit, bad messages before login)',
  SERVER_FULL: 'the server is at --max-clients',
  TOO_MANY_FROM_IP: 'this IP address is at --max-per-ip',
  INTERNAL_ERROR: 'a bug in the server; the log has details',
  SHUTDOWN: 'the server is shutting down',
  CLUSTER_UNAVAILABLE: 'the cluster (Redis) could not be asked whether the name is free; try again shortly',
  NODE_EXPELLED: 'this node was out of touch with the cluster for longer than --node-timeout and was declared dead; log in again',
  NAME_TAKEN: 'after an outage of the cluster, the name turned out to be held on another node',
} as const;

export type CloseCode = keyof typeof CLOSE_REASONS;

/** Closes that are the user's own doing: logged as plain `[DISCONNECTED] user`, like the seed. */
export function isOrdinaryClose(code: CloseCode): boolean {
  return code === 'CLIENT_EXIT' || code === 'PEER_CLOSED';
}
