import type { ActiveAlertRef, Decision, HouseholdRef, Policy } from '../alertModel.ts';
import { localDayKey } from '../localTime.ts';
import { type ArmingInputs, activeQuarantine, coveringWindow } from './arming.ts';

/** Opens of one household on one local calendar day (kept with the household's state). */
export interface OpenCounter {
  dayKey: string;
  count: number;
}

/**
 * Which openings count toward the daily limit: every opening while the household is under
 * quarantine, announced or not, breach or not — except those inside an authorized window
 * (a visit by the staff is not the household's doing).
 */
export function countsTowardLimit(arming: ArmingInputs, at: number): boolean {
  return (
    activeQuarantine(arming.household, arming.quarantines, at) !== null &&
    coveringWindow(arming.household, arming.windows, at) === null
  );
}

/**
 * Add one opening at `at`. The day is the local calendar day in `tz` (TZ_LOCAL): the count starts
 * again at local midnight. An opening dated on an earlier day than the counter (late delivery) does
 * not touch today's count.
 */
export function countOpen(counter: OpenCounter | null, at: number, tz: string): OpenCounter {
  const dayKey = localDayKey(at, tz);
  if (!counter || dayKey > counter.dayKey) return { dayKey, count: 1 };
  if (dayKey < counter.dayKey) return counter;
  return { dayKey, count: counter.count + 1 };
}

/** More than `maxOpensPerDay` openings → an `openCount` alert; further ones append to it. */
export function evaluateOpenCount(input: {
  counter: OpenCounter;
  household: HouseholdRef;
  sensorId: string;
  at: number;
  active: ActiveAlertRef;
  policy: Pick<Policy, 'maxOpensPerDay'>;
}): Decision | null {
  const { counter, policy } = input;
  if (counter.count <= policy.maxOpensPerDay) return null;
  if (input.active) {
    return { kind: 'append', alertId: input.active.id, at: input.at, detail: { opensToday: counter.count } };
  }
  return {
    kind: 'raise',
    alert: {
      type: 'openCount',
      severity: 'warning',
      sensorId: input.sensorId,
      householdId: input.household.id,
      gridId: input.household.gridId,
      openedAt: input.at,
      detail: { opensToday: counter.count, day: counter.dayKey, limit: policy.maxOpensPerDay },
    },
  };
}
