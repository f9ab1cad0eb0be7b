import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

export function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat (Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/** CPU seconds used over a wall-clock window that started at `since` (performance.now()), as percent of one core. */
export function percentOfCore(cpuSeconds: number, since: number): number {
  return Math.round((cpuSeconds / ((performance.now() - since) / 1000)) * 100);
}

/** Starts a CPU window on a process; `stop()` answers its CPU use as percent of one core over the window. */
export function cpuWindow(pid: number): { stop(): number } {
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  return { stop: () => percentOfCore(processCpuSeconds(pid) - cpu0, t0) };
}
