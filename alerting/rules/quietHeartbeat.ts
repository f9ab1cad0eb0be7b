import type { SealMessage } from '../../core/sealMessage.ts';
import type { Policy, SealState } from '../alertModel.ts';

type Heartbeat = Extract<SealMessage, { kind: 'heartbeat' }>;

/**
 * A heartbeat that no rule of evaluateMessage.ts can decide anything from: the door as it was, no
 * tamper edge, a battery reading that neither raises nor re-arms, and no offline alert to resolve.
 * Most messages are such heartbeats, and the engine skips the rules for them (issue 20.1: the
 * per-message decision was the largest alerting cost inside the ingest commit). Conservative: a
 * heartbeat it calls quiet decides nothing; one it does not may still decide nothing
 * (test/unit/alerting/quietHeartbeat.test.ts checks the first against evaluateMessage).
 */
export function quietHeartbeat(
  msg: Heartbeat,
  before: Pick<SealState, 'door' | 'tamper' | 'lowBatteryNotified'>,
  active: { offline: boolean; lowBattery: boolean },
  policy: () => Pick<Policy, 'lowBatteryPct' | 'batteryReplacedPct'>,
): boolean {
  // Any message resolves an offline alert (rules/offline.ts evaluateSeen).
  if (active.offline) return false;
  // A door position other than the one held is an opening or a closing (rules/doorTransition.ts).
  if (msg.door !== null && msg.door !== before.door) return false;
  // The tamper flag's rising edge (rules/tamper.ts).
  if (msg.tamper === true && !before.tamper) return false;
  // rules/lowBattery.ts: the device's own flag, a low reading, or a fresh battery that re-arms.
  if (msg.batteryLow === true) return false;
  if (msg.battery === null) return true;
  const p = policy();
  if (msg.battery < p.lowBatteryPct) return false;
  if (msg.battery > p.batteryReplacedPct) return !before.lowBatteryNotified && !active.lowBattery;
  return true;
}
