import { readFileSync } from 'node:fs';

/** Resident and peak resident memory of a process, in MiB, from /proc (Linux). */
export function processMemoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/**
 * The lowest RSS (MiB) of a process over `ms`, sampled every 500 ms: what it returns to between
 * garbage collections. RSS read once mixes in garbage not yet collected (a login storm's), which V8's
 * memory reducer gives back some seconds after allocation slows down.
 */
export async function lowestRssMiB(pid: number, ms: number): Promise<number> {
  let lowest = processMemoryMiB(pid).rss;
  for (let waited = 0; waited < ms; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    lowest = Math.min(lowest, processMemoryMiB(pid).rss);
  }
  return lowest;
}
