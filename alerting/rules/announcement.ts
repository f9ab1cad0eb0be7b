import type { Announcement, Policy } from '../alertModel.ts';

/**
 * An announced opening from now for `announceMinutes` (default 10), [start, end) like every span.
 * Opens inside it are logged, not alerted, and still count toward the daily limit.
 */
export function announce(
  householdId: string,
  reason: string,
  now: number,
  policy: Pick<Policy, 'announceMinutes'>,
  minutes: number = policy.announceMinutes,
): Announcement {
  if (!(minutes > 0)) throw new RangeError(`announcement span must be positive, got ${minutes} min`);
  return { householdId, start: now, end: now + minutes * 60_000, reason };
}
