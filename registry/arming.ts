import type { Quarantine, Window } from './schemas.ts';

/**
 * When a household's seal is armed. Intervals are half-open, [start, end):
 * a quarantine or window that ends at 08:00 no longer covers 08:00 itself,
 * so an open at exactly the end of a window is a breach.
 */
export const covers = (interval: { start: number; end: number | null }, at: number): boolean =>
  interval.start <= at && (interval.end === null || at < interval.end);

export interface ArmingInputs {
  quarantines: readonly Quarantine[];
  /** Windows of the household itself and of every grid node above it. */
  windows: readonly Window[];
}

export function activeQuarantine(inputs: ArmingInputs, at: number): Quarantine | undefined {
  return inputs.quarantines.find((q) => covers(q, at));
}

export function coveringWindow(inputs: ArmingInputs, at: number): Window | undefined {
  return inputs.windows.find((w) => covers(w, at));
}

export const isArmed = (inputs: ArmingInputs, at: number): boolean =>
  activeQuarantine(inputs, at) !== undefined && coveringWindow(inputs, at) === undefined;
