import type { Alert } from './alertModel.ts';
import type { EscalationStep } from './routing.ts';

/**
 * Escalation deadlines. `steps` are the ESCALATE_AFTER durations, each measured from the alert's
 * opening (cumulative): `5m,15m,30m` escalates at +5 min (step 1), +15 min (step 2), +30 min
 * (step 3). Must be strictly increasing.
 *
 * Past the configured steps the chain continues to the root with the spacing of the last two steps
 * (with a single step, that step's length): `5m,15m,30m` on a 5-step chain gives +45 min, +60 min.
 * Returns one deadline per chain step (`levels`; defaults to `steps.length`).
 */
export function escalationSchedule(
  openedAt: number,
  steps: readonly number[],
  levels = steps.length,
): number[] {
  if (steps.length === 0) return [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (!(s > 0) || (i > 0 && s <= steps[i - 1]!)) {
      throw new RangeError(
        `escalation steps must be positive and strictly increasing, got ${steps.join(',')}`,
      );
    }
  }
  const last = steps[steps.length - 1]!;
  const spacing = steps.length >= 2 ? last - steps[steps.length - 2]! : last;
  const out: number[] = [];
  for (let k = 0; k < levels; k++) {
    const offset = k < steps.length ? steps[k]! : last + (k - steps.length + 1) * spacing;
    out.push(openedAt + offset);
  }
  return out;
}

export interface EscalationDecision {
  /** The level reached now (1-based; the chain step). */
  level: number;
  /** Everyone newly reached: the recipients of every level passed since the last escalation. */
  steps: EscalationStep[];
  /** Next deadline, or null at the top of the chain. */
  nextEscalationAt: number | null;
}

/**
 * Escalate an unacknowledged alert whose deadline passed. After a restart several deadlines may have
 * passed at once: the alert jumps to the highest due level and every level passed is notified (each
 * of those leaders would have been told by now). Acknowledged, resolved, or top-of-chain → null.
 *
 * `steps` are those in force at the alert's node now (a policy may have changed them since the
 * deadline was stored): a stored deadline that has passed is honoured whatever they say now (the
 * next level is due: an escalation already due is never lost), and the levels beyond follow `steps`.
 */
export function dueEscalation(
  alert: Pick<Alert, 'status' | 'openedAt' | 'escalationLevel' | 'nextEscalationAt'>,
  chain: readonly EscalationStep[],
  steps: readonly number[],
  now: number,
): EscalationDecision | null {
  if (alert.status !== 'open' || alert.escalationLevel >= chain.length) return null;
  const schedule = escalationSchedule(alert.openedAt, steps, chain.length);
  let level = alert.escalationLevel;
  if (alert.nextEscalationAt !== undefined && alert.nextEscalationAt <= now) level++;
  while (level < chain.length && schedule[level]! <= now) level++;
  if (level === alert.escalationLevel) return null;
  return {
    level,
    steps: chain.slice(alert.escalationLevel, level),
    nextEscalationAt: level < chain.length ? schedule[level]! : null,
  };
}

/** The first deadline for a freshly opened alert (level 0), or null when there is nobody above. */
export function firstEscalationAt(
  openedAt: number,
  chainLength: number,
  steps: readonly number[],
): number | null {
  if (chainLength === 0) return null;
  return escalationSchedule(openedAt, steps, 1)[0] ?? null;
}

/**
 * The next deadline of an open alert after the escalation steps at its node changed (a policy):
 * the alert's next level under the new steps, counted from its opening as every step is. A
 * deadline that has already passed stays (it is due: the next sweep escalates). A new deadline in
 * the past is due too: the next sweep escalates, and may reach several levels at once, as after a
 * restart. Returns the alert's current deadline when nothing changes; undefined when there is none.
 */
export function rescheduledEscalation(
  alert: Pick<Alert, 'status' | 'openedAt' | 'escalationLevel' | 'nextEscalationAt'>,
  chainLength: number,
  steps: readonly number[],
  now: number,
): number | undefined {
  const current = alert.nextEscalationAt;
  if (current === undefined || alert.status !== 'open' || current <= now) return current;
  if (alert.escalationLevel >= chainLength) return current;
  return (
    escalationSchedule(alert.openedAt, steps, alert.escalationLevel + 1)[alert.escalationLevel] ?? current
  );
}
