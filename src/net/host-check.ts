import { isIP, isIPv6 } from 'node:net';

/**
 * The web port's Host check, against DNS rebinding. A page on a name the attacker controls, whose
 * DNS answer is then switched to this server's address, is same-origin with this server as far as
 * the browser knows (its Origin and the Host it sends agree), so the Origin check lets it through;
 * only the name gives it away. A request is answered only when its Host is an IP literal,
 * `localhost` or a name under it (browsers resolve those to loopback themselves), the server's
 * name, or a listed name; a listed `*` lets any name through (a proxy in front checks it). Pure.
 */
export interface WebHosts {
  readonly any: boolean;
  /** Lower case, without a port or a trailing dot. */
  readonly names: ReadonlySet<string>;
}

/** The names of --server-name and --web-hosts (already lower case, checked by the config). */
export function webHosts(serverName: string, listed: readonly string[]): WebHosts {
  const names = new Set(listed.filter((n) => n !== '*'));
  names.add(serverName.toLowerCase());
  return { any: listed.includes('*'), names };
}

/** Whether a request whose Host header is `host` may be answered. A missing or malformed Host may not. */
export function hostAllowed(host: string | undefined, hosts: WebHosts): boolean {
  if (hosts.any) return true;
  const name = host === undefined ? undefined : hostName(host);
  if (name === undefined) return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  return hosts.names.has(name);
}

/** The name in a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`): lower case, without port, brackets or trailing dot. */
function hostName(host: string): string | undefined {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(h);
    return m !== null && isIPv6(m[1]!) ? m[1] : undefined;
  }
  const m = /^([^:\s]+?)\.?(?::\d{1,5})?$/.exec(h);
  return m === null ? undefined : m[1];
}
