import type { SealMessage } from '../../core/sealMessage.ts';
import type { ActiveAlertRef, Decision, HouseholdRef } from '../alertModel.ts';

/**
 * Tamper → critical. A native `tamper` event is one occurrence each; a heartbeat tamper flag
 * (Zigbee2MQTT) counts only on its rising edge so a sensor reporting `tamper:true` every minute
 * does not re-alert. Requires a monitored seal (active quarantine, not commissioning); windows do not
 * matter — nobody is authorized to remove a seal.
 */
export function evaluateTamper(input: {
  msg: SealMessage;
  tamperBefore: boolean;
  monitored: boolean;
  household: HouseholdRef;
  active: ActiveAlertRef;
}): Decision | null {
  const { msg } = input;
  const occurred =
    msg.kind === 'tamper' || (msg.kind === 'heartbeat' && msg.tamper === true && !input.tamperBefore);
  if (!occurred || !input.monitored) return null;
  if (input.active)
    return { kind: 'append', alertId: input.active.id, at: msg.ts, detail: { via: msg.kind } };
  return {
    kind: 'raise',
    alert: {
      type: 'tamper',
      severity: 'critical',
      sensorId: msg.sensorId,
      householdId: input.household.id,
      gridId: input.household.gridId,
      openedAt: msg.ts,
      detail: { via: msg.kind },
    },
  };
}
