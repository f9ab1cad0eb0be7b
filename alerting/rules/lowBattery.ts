import type { ActiveAlertRef, Decision, Policy } from '../alertModel.ts';

/**
 * Low battery, once per battery: below `lowBatteryPct` raises a maintenance alert and sets the
 * seal's `lowBatteryNotified`. Only a reading above `batteryReplacedPct` (90 %: a fresh battery;
 * issue 16.5 "a jump from under the threshold to above 90 %") clears the flag, so a battery
 * wobbling around 20 %, or recovering to 60 % on a warm afternoon, alerts once. The flag is what
 * says the battery was under the threshold: without it there is nothing to re-arm. A replacement
 * also resolves an unresolved low-battery alert by itself (a technician may say so first: POST
 * /api/sensors/:id/battery does the same). During commissioning nothing is raised and the flag is
 * left alone, so the alert comes after commissioning if the battery is still low.
 */
export function evaluateBattery(input: {
  sensorId: string;
  householdId: string | null;
  gridId: string | null;
  battery: number | null;
  /**
   * The device's own low-battery flag (Zigbee2MQTT `battery_low`,
   * https://www.zigbee2mqtt.io/devices/SNZB-04.html): `true` is low whatever the percentage says
   * (many sensors only ever send the flag). `false` re-arms nothing: only a fresh reading does.
   */
  batteryLow?: boolean | undefined;
  notified: boolean;
  commissioning: boolean;
  active: ActiveAlertRef;
  at: number;
  policy: Pick<Policy, 'lowBatteryPct' | 'batteryReplacedPct'>;
}): Decision[] {
  const { battery, policy } = input;
  const flaggedLow = input.batteryLow === true;
  if ((battery === null && !flaggedLow) || input.commissioning) return [];
  if (battery !== null && battery > policy.batteryReplacedPct && !flaggedLow) {
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
  const low = flaggedLow || (battery !== null && battery < policy.lowBatteryPct);
  if (low && !input.notified && input.gridId !== null) {
    const alert = {
      type: 'lowBattery' as const,
      severity: 'maintenance' as const,
      sensorId: input.sensorId,
      gridId: input.gridId,
      openedAt: input.at,
      detail: { battery, threshold: policy.lowBatteryPct, ...(flaggedLow ? { batteryLow: true } : {}) },
      ...(input.householdId !== null ? { householdId: input.householdId } : {}),
    };
    const out: Decision[] = [{ kind: 'setLowBatteryNotified', sensorId: input.sensorId, value: true }];
    if (!input.active) out.unshift({ kind: 'raise', alert });
    return out;
  }
  return [];
}
