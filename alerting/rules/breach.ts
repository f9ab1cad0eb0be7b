import type {
  ActiveAlertRef,
  ArmingWindow,
  Decision,
  HouseholdRef,
  Policy,
  SealState,
} from '../alertModel.ts';
import {
  type ArmingInputs,
  activeQuarantine,
  coveringAnnouncement,
  coveringWindow,
  isArmed,
  windowApplies,
} from './arming.ts';
import { inCommissioning } from './commissioning.ts';

export interface OpenInput {
  sensorId: string;
  /** Device time of the opening (already clamped by ingest). */
  at: number;
  arming: ArmingInputs;
  commissioningUntil: number | null;
  /** The unresolved breach of this sensor, if any. */
  active: ActiveAlertRef;
  policy: Pick<Policy, 'graceSeconds'>;
}

/**
 * Breach on an opening. Arming is judged at the moment of the opening (`at`), not at receive time.
 * Order: commissioning → not quarantined → authorized window → announced → append to the unresolved
 * breach → wait for grace → raise.
 */
export function evaluateOpen(input: OpenInput): Decision | null {
  const { sensorId, at, arming, active } = input;
  const household = arming.household;
  if (inCommissioning(input, at)) return null;
  if (activeQuarantine(household, arming.quarantines, at) === null) {
    return { kind: 'logOpen', sensorId, householdId: household.id, at, why: 'notQuarantined' };
  }
  const w = coveringWindow(household, arming.windows, at);
  if (w) return { kind: 'logOpen', sensorId, householdId: household.id, at, why: 'window' };
  const a = coveringAnnouncement(household.id, arming.announcements, at);
  if (a) return { kind: 'logOpen', sensorId, householdId: household.id, at, why: 'announced' };
  if (active) return { kind: 'append', alertId: active.id, at, detail: { cause: 'open' } };
  if (input.policy.graceSeconds > 0) {
    return {
      kind: 'pendingBreach',
      sensorId,
      householdId: household.id,
      openedAt: at,
      dueAt: at + input.policy.graceSeconds * 1000,
    };
  }
  return raiseBreach(sensorId, household, at, { cause: 'open' });
}

/**
 * Grace semantics: the breach is raised at `dueAt` unless, by then, a window or an announcement
 * covering the opening moment was recorded (a worker registering the visit at the door). Closing the
 * door within the grace does NOT cancel it: a quick step outside is exactly what a seal must report.
 */
export function confirmPendingBreach(input: OpenInput): Decision | null {
  const d = evaluateOpen({ ...input, policy: { graceSeconds: 0 } });
  return d?.kind === 'logOpen' ? null : d;
}

export interface WindowEndSeal {
  state: Pick<SealState, 'sensorId' | 'door' | 'lastDoorChange' | 'commissioningUntil'>;
  household: HouseholdRef;
  active: ActiveAlertRef;
}

/**
 * "A door still open when a window ends is a breach." For every window whose end lies in
 * (lastSweepAt, now], each seal of a household it applied to whose door is open since before the
 * end is a breach at `end`, if the household is armed at `end` (another window or an announcement
 * covering `end` keeps it quiet, as would an opening at that moment). A seal with an unresolved breach
 * gets nothing new (the door did not open again).
 */
export function breachesAtWindowEnds(input: {
  endedWindows: readonly ArmingWindow[];
  seals: readonly WindowEndSeal[];
  quarantinesOf: (householdId: string) => ArmingInputs['quarantines'];
  windowsOf: (householdId: string) => ArmingInputs['windows'];
  announcementsOf: (householdId: string) => ArmingInputs['announcements'];
  lastSweepAt: number;
  now: number;
}): Decision[] {
  const out: Decision[] = [];
  const raised = new Set<string>();
  const ended = input.endedWindows
    .filter((w) => w.end > input.lastSweepAt && w.end <= input.now)
    .sort((a, b) => a.end - b.end);
  for (const w of ended) {
    for (const seal of input.seals) {
      const { state, household } = seal;
      if (raised.has(state.sensorId) || seal.active) continue;
      const appliesHere = windowApplies(w, household);
      if (!appliesHere) continue;
      if (state.door !== 'open' || state.lastDoorChange === null || state.lastDoorChange >= w.end) continue;
      if (inCommissioning(state, w.end)) continue;
      if (!isArmed(household, input.quarantinesOf(household.id), input.windowsOf(household.id), w.end))
        continue;
      if (coveringAnnouncement(household.id, input.announcementsOf(household.id), w.end)) continue;
      raised.add(state.sensorId);
      out.push(
        raiseBreach(state.sensorId, household, w.end, {
          cause: 'openAtWindowEnd',
          windowId: w.id ?? null,
          windowReason: w.reason,
          doorOpenSince: state.lastDoorChange,
        }),
      );
    }
  }
  return out;
}

function raiseBreach(
  sensorId: string,
  household: HouseholdRef,
  at: number,
  detail: Record<string, unknown>,
): Decision {
  return {
    kind: 'raise',
    alert: {
      type: 'breach',
      severity: 'critical',
      sensorId,
      householdId: household.id,
      gridId: household.gridId,
      openedAt: at,
      detail,
    },
  };
}
