/**
 * A listener that could not start, in the user's words: the option that names the port or the
 * address, and what to do, instead of Node's `listen EADDRINUSE: address already in use
 * 127.0.0.1:8080`. Any other error is returned as it is.
 */
export function listenError(err: unknown, portFlag: string, port: number, hostFlag: string, host: string): Error {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'EADDRINUSE':
      return new Error(`--${portFlag} ${port} is in use; choose another with --${portFlag}`);
    case 'EACCES':
      return new Error(`--${portFlag} ${port} is not allowed for this user (ports below 1024 need privileges); choose another with --${portFlag}`);
    case 'EADDRNOTAVAIL':
      return new Error(`--${hostFlag} ${host} is not an address of this machine; choose another with --${hostFlag}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(`--${hostFlag} ${host} is not a known host name; choose another with --${hostFlag}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
