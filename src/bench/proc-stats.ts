import { readFileSync } from 'node:fs';

/** Resident set size (VmRSS) of a process in KiB, or null when it cannot be read. */
export function readRssKiB(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICK_MICROS = 10_000;

/** CPU time (user + system, µs) a process has used so far, or null when it cannot be read. */
export function readCpuMicros(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MICROS;
  } catch {
    return null;
  }
}

/** CPU use between two readings as a percentage of one core. */
export function cpuPercent(beforeMicros: number | null, afterMicros: number | null, wallMs: number): number | null {
  if (beforeMicros === null || afterMicros === null || wallMs <= 0) return null;
  return Math.round(((afterMicros - beforeMicros) / 1000 / wallMs) * 1000) / 10;
}

/**
 * Summed over several processes (the nodes of a cluster): null when `pids` is empty or any one
 * cannot be read, so a total never silently leaves a process out.
 */
export function sumOver(pids: readonly number[], read: (pid: number) => number | null): number | null {
  if (pids.length === 0) return null;
  let total = 0;
  for (const pid of pids) {
    const v = read(pid);
    if (v === null) return null;
    total += v;
  }
  return total;
}
