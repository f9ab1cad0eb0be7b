import type { Announcement, ArmingWindow, HouseholdRef, Quarantine } from '../types.ts';

/**
 * Arming. All spans are half-open, [start, end): a moment exactly at `end` is NOT inside.
 * So an open at the very millisecond a window ends is a breach, and a quarantine ending at T
 * no longer arms at T.
 */
export function within(start: number, end: number | null, t: number): boolean {
  return start <= t && (end === null || t < end);
}

export function activeQuarantine(
  household: HouseholdRef,
  quarantines: readonly Quarantine[],
  t: number,
): Quarantine | null {
  for (const q of quarantines) {
    if (q.householdId === household.id && within(q.start, q.end, t)) return q;
  }
  return null;
}

/** A window applies to a household when it names the household or any node on its grid path. */
export function windowApplies(w: ArmingWindow, household: HouseholdRef): boolean {
  if (w.householdId != null) return w.householdId === household.id;
  if (w.gridId != null) return household.gridPath.includes(w.gridId);
  return false;
}

export function coveringWindow(
  household: HouseholdRef,
  windows: readonly ArmingWindow[],
  t: number,
): ArmingWindow | null {
  for (const w of windows) {
    if (windowApplies(w, household) && within(w.start, w.end, t)) return w;
  }
  return null;
}

/** Armed ⇔ an active quarantine at `t` and no authorized window covering `t`. */
export function isArmed(
  household: HouseholdRef,
  quarantines: readonly Quarantine[],
  windows: readonly ArmingWindow[],
  t: number,
): boolean {
  return (
    activeQuarantine(household, quarantines, t) !== null && coveringWindow(household, windows, t) === null
  );
}

/** The announcement covering `t` for this household, same [start, end) semantics. */
export function coveringAnnouncement(
  householdId: string,
  announcements: readonly Announcement[],
  t: number,
): Announcement | null {
  for (const a of announcements) {
    if (a.householdId === householdId && within(a.start, a.end, t)) return a;
  }
  return null;
}

export interface ArmingInputs {
  household: HouseholdRef;
  quarantines: readonly Quarantine[];
  windows: readonly ArmingWindow[];
  announcements: readonly Announcement[];
}
