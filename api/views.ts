import type { SealState } from '../core/sealState.ts';
import type { Registry } from '../registry/registry.ts';
import type { GridNode, Quarantine, Sensor, Window, Worker } from '../registry/schemas.ts';
import { maskWebhook } from '../registry/webhookMask.ts';

/** Times leave the API as ISO 8601 strings; inside they are epoch ms. */
export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

export const gridNodeView = (n: GridNode) => ({ ...n, createdAt: iso(n.createdAt) });

/** A worker as every answer shows it, to every role: the webhook masked (its URL holds the robot's key). */
export const workerView = (w: Worker) => ({
  ...w,
  webhook: w.webhook === null ? null : maskWebhook(w.webhook),
  createdAt: iso(w.createdAt),
});

export const sensorView = (s: Sensor, now: number) => ({
  id: s.id,
  householdId: s.householdId,
  model: s.model,
  friendlyName: s.friendlyName,
  commissioning: s.commissioningUntil !== null && now < s.commissioningUntil,
  commissioningUntil:
    s.commissioningUntil !== null && now < s.commissioningUntil ? iso(s.commissioningUntil) : null,
  createdAt: iso(s.createdAt),
});

export const quarantineView = (q: Quarantine) => ({
  ...q,
  start: iso(q.start),
  end: iso(q.end),
  createdAt: iso(q.createdAt),
});

export const windowView = (w: Window) => ({
  ...w,
  start: iso(w.start),
  end: iso(w.end),
  createdAt: iso(w.createdAt),
});

/** Online: heard from, not marked offline, and within the offline threshold. */
export function isOnline(state: SealState | undefined, now: number, offlineAfterMs: number): boolean {
  const lastSeen = state?.lastSeen ?? null;
  return state?.online === true && lastSeen !== null && now - lastSeen <= offlineAfterMs;
}

export function sealView(
  registry: Registry,
  sensor: Sensor,
  state: SealState | undefined,
  now: number,
  offlineAfterMs: number,
) {
  const household = registry.household(sensor.householdId);
  const lastSeen = state?.lastSeen ?? null;
  const online = isOnline(state, now, offlineAfterMs);
  return {
    sensorId: sensor.id,
    householdId: sensor.householdId,
    gridId: household?.gridId ?? null,
    address: household?.address ?? null,
    model: sensor.model,
    door: state?.door ?? 'unknown',
    online,
    armed: household ? registry.isArmed(household.id, now) : false,
    battery: state?.battery ?? null,
    rssi: state?.rssi ?? null,
    tamper: state?.tamper ?? false,
    lastSeen: iso(lastSeen),
    lastDoorChange: iso(state?.lastDoorChange),
    commissioning: registry.inCommissioning(sensor.id, now),
  };
}
