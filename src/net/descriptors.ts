import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * The process's open-file soft limit (ulimit -n) from /proc/self/limits: Linux, and no native
 * module needed. Undefined when it is unlimited or cannot be read (another system).
 */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+)\s/m.exec(text);
  const n = m === null ? NaN : Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * How many connections may be open at once: --max-clients, or fewer when it and `reserve`
 * descriptors for everything else do not fit the open-file limit (at least one).
 */
export function clientsThatFit(maxClients: number, fileLimit: number | undefined, reserve: number): number {
  return fileLimit === undefined ? maxClients : Math.min(maxClients, Math.max(1, fileLimit - reserve));
}

/** The one start-up line saying that --max-clients does not fit; undefined when it does. */
export function descriptorWarning(maxClients: number, fileLimit: number | undefined, reserve: number): string | undefined {
  const fits = clientsThatFit(maxClients, fileLimit, reserve);
  if (fits === maxClients) return undefined;
  return (
    `--max-clients ${maxClients} does not fit the open-file limit (ulimit -n ${fileLimit}, of which ${reserve} are kept for the server's own files and refusals): ` +
    `at most ${fits} connections at once; raise ulimit -n to ${maxClients + reserve} to allow ${maxClients}`
  );
}

/**
 * Whether the process is out of descriptors now: the error code (EMFILE for the process, ENFILE
 * for the system) or undefined. Out of descriptors, libuv accepts each new connection and closes it
 * at once, so that the listener does not spin, without telling Node; asking like this is how those
 * closes reach the log.
 */
export function outOfDescriptors(): string | undefined {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return undefined;
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    return code === 'EMFILE' || code === 'ENFILE' ? code : undefined;
  }
}
