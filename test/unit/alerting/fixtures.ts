import type { HouseholdRef, SealState } from '../../../alerting/alertModel.ts';
import type { ArmingInputs } from '../../../alerting/rules/arming.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';

/** 2026-01-10 10:00:00 in Asia/Shanghai (02:00 UTC). */
export const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export const household: HouseholdRef = {
  id: 'h1',
  gridId: 'g-group3',
  gridPath: ['g-county', 'g-town', 'g-village', 'g-group3'],
};

export function seal(over: Partial<SealState> = {}): SealState {
  return {
    sensorId: 's1',
    door: 'closed',
    lastDoorChange: T0 - HOUR,
    online: true,
    lastSeen: T0 - MIN,
    battery: 90,
    lowBatteryNotified: false,
    tamper: false,
    commissioningUntil: null,
    ...over,
  };
}

export function arming(over: Partial<ArmingInputs> = {}): ArmingInputs {
  return {
    household,
    quarantines: [{ householdId: 'h1', start: T0 - 24 * HOUR, end: null }],
    windows: [],
    announcements: [],
    ...over,
  };
}

export function doorMsg(door: 'open' | 'closed', ts: number, seq = 1): SealMessage {
  return { kind: 'door', sensorId: 's1', dialect: 'native', door, ts, receivedAt: ts, seq };
}

export function heartbeat(
  ts: number,
  over: Partial<Extract<SealMessage, { kind: 'heartbeat' }>> = {},
): SealMessage {
  return {
    kind: 'heartbeat',
    sensorId: 's1',
    dialect: 'native',
    ts,
    receivedAt: ts,
    seq: 1,
    door: 'closed',
    battery: 90,
    rssi: -60,
    ...over,
  };
}
