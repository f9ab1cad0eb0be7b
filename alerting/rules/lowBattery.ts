import type { ActiveAlertRef, Decision, Policy } from '../types.ts';

/**
 * Low battery, once per battery: below `lowBatteryPct` raises a maintenance alert and sets the
 * seal's `lowBatteryNotified`. Only a reading at or above `batteryReplacedPct` (a fresh battery)
 * clears the flag, so a battery wobbling around 20 % alerts once. A replacement also resolves an
 * unresolved low-battery alert by itself. During commissioning nothing is raised and the flag is
 * left alone, so the alert comes after commissioning if the battery is still low.
 */
export function evaluateBattery(input: {
  sensorId: string;
  householdId: string | null;
  gridId: string | null;
  battery: number | null;
  notified: boolean;
  commissioning: boolean;
  active: ActiveAlertRef;
  at: number;
  policy: Pick<Policy, 'lowBatteryPct' | 'batteryReplacedPct'>;
}): Decision[] {
  const { battery, policy } = input;
  if (battery === null || input.commissioning) return [];
  if (battery >= policy.batteryReplacedPct) {
    const out: Decision[] = [];
    if (input.notified) out.push({ kind: 'setLowBatteryNotified', sensorId: input.sensorId, value: false });
    if (input.active) {
      out.push({
        kind: 'resolve',
        alertId: input.active.id,
        at: input.at,
        reason: 'batteryReplaced',
        detail: { battery },
      });
    }
    return out;
  }
  if (battery < policy.lowBatteryPct && !input.notified && input.gridId !== null) {
    const alert = {
      type: 'lowBattery' as const,
      severity: 'maintenance' as const,
      sensorId: input.sensorId,
      gridId: input.gridId,
      openedAt: input.at,
      detail: { battery, threshold: policy.lowBatteryPct },
      ...(input.householdId !== null ? { householdId: input.householdId } : {}),
    };
    const out: Decision[] = [{ kind: 'setLowBatteryNotified', sensorId: input.sensorId, value: true }];
    if (!input.active) out.unshift({ kind: 'raise', alert });
    return out;
  }
  return [];
}
