import * as registryArming from '../../registry/arming.ts';
import type { Announcement, ArmingWindow, HouseholdRef, Quarantine } from '../alertModel.ts';

/**
 * Arming, as the rules see it: the registry's half-open [start, end) semantics (registry/arming.ts is
 * the one source), applied to a household given with its grid path. A moment exactly at `end` is NOT
 * inside: an open at the very millisecond a window ends is a breach, and a quarantine ending at T no
 * longer arms at T.
 */
export function within(start: number, end: number | null, t: number): boolean {
  return registryArming.covers({ start, end }, t);
}

export function activeQuarantine(
  household: HouseholdRef,
  quarantines: readonly Quarantine[],
  t: number,
): Quarantine | null {
  const own = quarantines.filter((q) => q.householdId === household.id);
  return registryArming.activeQuarantine({ quarantines: own }, t) ?? null;
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
  const applying = windows.filter((w) => windowApplies(w, household));
  return registryArming.coveringWindow({ windows: applying }, t) ?? null;
}

/** Armed ⇔ an active quarantine at `t` and no authorized window covering `t`. */
export function isArmed(
  household: HouseholdRef,
  quarantines: readonly Quarantine[],
  windows: readonly ArmingWindow[],
  t: number,
): boolean {
  return registryArming.isArmed(
    {
      quarantines: quarantines.filter((q) => q.householdId === household.id),
      windows: windows.filter((w) => windowApplies(w, household)),
    },
    t,
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
