import type { CommandContext } from './commandContext.ts';

/** What the privacy purge writes. */
export interface PurgeStore {
  /** Clears households' personal data and deletes their door history, in one transaction. */
  purgeHouseholds(householdIds: readonly string[], at: number): Promise<{ doorEvents: number }>;
}

/**
 * Privacy: households whose last quarantine ended more than `retentionMs`
 * ago lose their address, contact and door history. The household, its
 * sensors and aggregates stay, so counts and reports still add up.
 */
export async function purgeExpiredHouseholds(
  { index, store, changes, clock }: CommandContext<PurgeStore>,
  retentionMs: number,
): Promise<{ households: string[]; doorEvents: number }> {
  const now = clock.now();
  const due = index.allHouseholds().filter((h) => {
    if (h.purgedAt !== null) return false;
    const quarantines = index.quarantinesOf(h.id);
    if (quarantines.length === 0) return false;
    const ends = quarantines.map((q) => q.end);
    if (ends.some((end) => end === null || end > now - retentionMs)) return false;
    return true;
  });
  if (due.length === 0) return { households: [], doorEvents: 0 };
  const { doorEvents } = await store.purgeHouseholds(
    due.map((h) => h.id),
    now,
  );
  for (const h of due) {
    h.address = null;
    h.contact = null;
    h.purgedAt = now;
    changes.changed('household', h.id);
  }
  return { households: due.map((h) => h.id), doorEvents };
}
