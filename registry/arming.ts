import type { Quarantine, Window } from './schemas.ts';

/**
 * When a household's seal is armed. Intervals are half-open, [start, end):
 * a quarantine or window that ends at 08:00 no longer covers 08:00 itself,
 * so an open at exactly the end of a window is a breach. The one source of
 * these semantics: alerting's rules (alerting/rules/arming.ts) delegate here.
 */
export const covers = (interval: { start: number; end: number | null }, at: number): boolean =>
  interval.start <= at && (interval.end === null || at < interval.end);

/** A half-open interval of epoch ms; end null: open-ended. */
export type Span = { start: number; end: number | null };

/**
 * Whether two intervals share time, read as `covers` reads them. A household is in one quarantine at
 * a time (two that overlap make its end ambiguous): the registry and the CSV import check with this.
 */
export const overlaps = (a: Span, b: Span): boolean =>
  a.start < (b.end ?? Number.POSITIVE_INFINITY) && b.start < (a.end ?? Number.POSITIVE_INFINITY);

export interface ArmingInputs<Q extends Span = Quarantine, W extends Span = Window> {
  quarantines: readonly Q[];
  /** Windows of the household itself and of every grid node above it. */
  windows: readonly W[];
}

export function activeQuarantine<Q extends Span>(
  inputs: { quarantines: readonly Q[] },
  at: number,
): Q | undefined {
  return inputs.quarantines.find((q) => covers(q, at));
}

export function coveringWindow<W extends Span>(inputs: { windows: readonly W[] }, at: number): W | undefined {
  return inputs.windows.find((w) => covers(w, at));
}

export const isArmed = (inputs: ArmingInputs<Span, Span>, at: number): boolean =>
  activeQuarantine(inputs, at) !== undefined && coveringWindow(inputs, at) === undefined;
