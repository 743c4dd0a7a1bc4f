import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Node version, cores and CPU model, printed at the top of every benchmark. */
export function machineLine(): string {
  let cpu = '';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux
  }
  return `node ${process.version}, ${availableParallelism()} cores${cpu ? ` (${cpu})` : ''}`;
}
