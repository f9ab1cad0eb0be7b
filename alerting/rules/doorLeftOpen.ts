import type {
  ActiveAlertRef,
  Announcement,
  ArmingWindow,
  Decision,
  HouseholdRef,
  Policy,
  Quarantine,
} from '../alertModel.ts';
import { activeQuarantine, windowApplies } from './arming.ts';
import { inCommissioning } from './commissioning.ts';
import type { DoorTransition } from './doorTransition.ts';

/**
 * Door left open too long (issue 16.7), an alert of its own, separate from the breach.
 *
 * An opening that was allowed (an announced opening, or an authorized window) has an end; after it
 * the door has the policy's `doorOpenLimit` to close. Still open then, while the household is armed
 * and nothing allows it any more, is `doorLeftOpen`: the family went out announced and left the door
 * standing. The clock runs from the end of the LAST allowance that covered any moment of the door's
 * current opening, so an announcement made while the door stands open moves the deadline with it.
 *
 * An opening nobody allowed is a breach already (breach.ts): the breach, its count and its
 * escalation are the alert for that door, and this rule says nothing about it. A door that was open
 * before the allowance started and is still open after it does count (the allowance covered part
 * of its opening). Closing the door resolves the alert (closedDoorLeftOpen).
 */
export interface DoorLeftOpenInput {
  sensorId: string;
  household: HouseholdRef;
  door: 'open' | 'closed' | 'unknown';
  /** When the door opened (the seal's last door change); null: never reported. */
  openSince: number | null;
  commissioningUntil: number | null;
  quarantines: readonly Quarantine[];
  windows: readonly ArmingWindow[];
  announcements: readonly Announcement[];
  /** The unresolved doorLeftOpen alert of this sensor, if any. */
  active: ActiveAlertRef;
  policy: Pick<Policy, 'doorOpenLimitMs'>;
  now: number;
}

/**
 * When the door's allowed opening ends (or ended), for a door open since `openSince`: the latest
 * end among the allowances (announcements, windows that apply) that started by `now` and end after
 * the door opened. null when none did: the opening was never allowed. An allowance still running
 * gives an end in the future, so the deadline is not yet due.
 */
export function allowanceEnd(input: Omit<DoorLeftOpenInput, 'active' | 'policy' | 'door'>): number | null {
  const { household, openSince, now } = input;
  if (openSince === null) return null;
  let end: number | null = null;
  const consider = (s: { start: number; end: number }) => {
    if (s.start <= now && s.end > openSince) end = Math.max(end ?? s.end, s.end);
  };
  for (const a of input.announcements) if (a.householdId === household.id) consider(a);
  for (const w of input.windows) if (windowApplies(w, household)) consider(w);
  return end;
}

/** When the rule will raise for this door if it stays open (null: it will not, as things stand). */
export function doorLeftOpenDueAt(input: DoorLeftOpenInput): number | null {
  if (input.door !== 'open' || input.active) return null;
  const end = allowanceEnd(input);
  return end === null ? null : end + input.policy.doorOpenLimitMs;
}

/** The sweep's question for one open door: raise `doorLeftOpen` now? */
export function evaluateDoorLeftOpen(input: DoorLeftOpenInput): Decision | null {
  const { household, now } = input;
  const dueAt = doorLeftOpenDueAt(input);
  if (dueAt === null || dueAt > now) return null;
  if (inCommissioning(input, now)) return null;
  if (activeQuarantine(household, input.quarantines, now) === null) return null;
  return {
    kind: 'raise',
    alert: {
      type: 'doorLeftOpen',
      severity: 'warning',
      sensorId: input.sensorId,
      householdId: household.id,
      gridId: household.gridId,
      openedAt: dueAt,
      detail: {
        doorOpenSince: input.openSince,
        allowedUntil: dueAt - input.policy.doorOpenLimitMs,
        limitMs: input.policy.doorOpenLimitMs,
      },
    },
  };
}

/** A door that closes (or a heartbeat that reports it closed) resolves its doorLeftOpen alert. */
export function closedDoorLeftOpen(transition: DoorTransition, active: ActiveAlertRef): Decision | null {
  if (!active || transition.kind !== 'closed') return null;
  return {
    kind: 'resolve',
    alertId: active.id,
    at: transition.at,
    reason: 'doorClosed',
    detail: { closedAt: transition.at },
  };
}
