import { type AuditEntry, auditEntry, SERVICE_ACTOR } from '../auditTrail.ts';
import type { CommandContext } from './commandContext.ts';

/** What the privacy purge writes. */
export interface PurgeStore {
  /**
   * One transaction: clears households' personal data, deletes their door history and their audit
   * entries (those with their household id: their own, their sensors', quarantines', windows'),
   * deletes the entries of households deleted before `deletedBefore` and not registered again, and
   * appends `audit` (the record that the purge happened).
   */
  purgeHouseholds(
    householdIds: readonly string[],
    at: number,
    trail: { audit: readonly AuditEntry[]; deletedBefore: number },
  ): Promise<{ doorEvents: number; auditEntries: number }>;
}

/**
 * Privacy: households whose last quarantine ended more than `retentionMs` ago lose their address,
 * contact, door history and audit entries. The household, its sensors and aggregates stay, so counts
 * and reports still add up; the trail keeps one entry per household saying that it was purged, with
 * nothing of what was purged. Households deleted (registered by mistake) more than `retentionMs` ago
 * lose their audit entries too, so no address stays in the trail for ever.
 */
export async function purgeExpiredHouseholds(
  { index, store, changes, clock }: CommandContext<PurgeStore>,
  retentionMs: number,
): Promise<{ households: string[]; doorEvents: number; auditEntries: number }> {
  const now = clock.now();
  const due = index.allHouseholds().filter((h) => {
    if (h.purgedAt !== null) return false;
    const quarantines = index.quarantinesOf(h.id);
    if (quarantines.length === 0) return false;
    const ends = quarantines.map((q) => q.end);
    if (ends.some((end) => end === null || end > now - retentionMs)) return false;
    return true;
  });
  // Not about the household any more (no household id): a later purge leaves it.
  const audit = due.map((h) =>
    auditEntry(
      now,
      SERVICE_ACTOR,
      { entity: 'household', entityId: h.id, action: 'purge', gridId: h.gridId },
      null,
      null,
    ),
  );
  const { doorEvents, auditEntries } = await store.purgeHouseholds(
    due.map((h) => h.id),
    now,
    { audit, deletedBefore: now - retentionMs },
  );
  for (const h of due) {
    h.address = null;
    h.contact = null;
    h.purgedAt = now;
    changes.changed('household', h.id);
  }
  return { households: due.map((h) => h.id), doorEvents, auditEntries };
}
