import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem, release } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  kernel: string;
  memGiB: number;
}

/** What the figures were measured on: results are only comparable on the same machine. */
export function machineInfo(): MachineInfo {
  let cpuModel = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) cpuModel = m[1]!.trim();
  } catch {
    // Not Linux: the model stays unknown.
  }
  return { nproc: availableParallelism(), cpuModel, node: process.version, kernel: release(), memGiB: Math.round(totalmem() / 2 ** 30) };
}
