import { readFileSync } from 'node:fs';

/**
 * CPU time the whole machine has spent busy so far, all cores together, in clock ticks (the first line
 * of /proc/stat: user, nice, system, irq, softirq and steal; idle and iowait left out). Two readings
 * over a window, divided by the window and the tick rate, give how many cores were busy (Linux).
 */
export function machineBusyTicks(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}
