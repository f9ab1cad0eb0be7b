import os from 'node:os';

/** Median of a list of numbers (the middle one, or the mean of the middle two). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Largest relative distance of any value from the median, in percent: how far repeated runs disagree. */
export function spreadPercent(values: readonly number[]): number {
  const m = median(values);
  if (!Number.isFinite(m) || m === 0) return 0;
  return Math.round(Math.max(...values.map((v) => Math.abs(v - m) / m)) * 1000) / 10;
}

/**
 * A note when other work competes for the CPU (1-minute load average above the core count): on a shared machine
 * such numbers measure the neighbours as much as the code.
 */
export function busyMachineNote(loadBefore: number, loadAfter: number): string | null {
  const cpus = os.cpus().length;
  const worst = Math.max(loadBefore, loadAfter);
  if (worst <= cpus) return null;
  return `machine busy: 1-min load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after on ${cpus} cores; compare only with runs under similar load`;
}
