import type { z } from 'zod';
import type { SensorSilence } from '../alerting/alertStore.ts';
import type { SealState } from '../core/sealState.ts';
import type { Registry } from '../registry/registry.ts';
import type { GridNode, Household, Quarantine, Sensor, Window, Worker } from '../registry/schemas.ts';
import { maskWebhook } from '../registry/webhookMask.ts';
import type { sealAnswer, silenceAnswer } from './schemas/liveAnswers.ts';
import type {
  gridNodeAnswer,
  householdAnswer,
  quarantineAnswer,
  sensorAnswer,
  windowAnswer,
  workerAnswer,
} from './schemas/registryAnswers.ts';

/** Times leave the API as ISO 8601 strings; inside they are epoch ms. */
export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();
export const isoAt = (ms: number): string => new Date(ms).toISOString();

// Each view lists its fields one by one, typed by the answer's schema (api/schemas): a record's
// other fields (a secret's hash) are never spread into an answer.

export const gridNodeView = (n: GridNode): z.input<typeof gridNodeAnswer> => ({
  id: n.id,
  name: n.name,
  parentId: n.parentId,
  level: n.level,
  createdAt: isoAt(n.createdAt),
});

/** A worker as every answer shows it, to every role: the webhook masked (its URL holds the robot's key). */
export const workerView = (w: Worker): z.input<typeof workerAnswer> => ({
  id: w.id,
  name: w.name,
  gridId: w.gridId,
  role: w.role,
  email: w.email,
  phone: w.phone,
  webhook: w.webhook === null ? null : maskWebhook(w.webhook),
  chatUserId: w.chatUserId,
  createdAt: isoAt(w.createdAt),
});

export const householdView = (h: Household, armed: boolean): z.input<typeof householdAnswer> => ({
  id: h.id,
  gridId: h.gridId,
  address: h.address,
  contact: h.contact,
  createdAt: isoAt(h.createdAt),
  purgedAt: iso(h.purgedAt),
  armed,
});

export const sensorView = (s: Sensor, now: number): z.input<typeof sensorAnswer> => ({
  id: s.id,
  householdId: s.householdId,
  model: s.model,
  friendlyName: s.friendlyName,
  commissioning: s.commissioningUntil !== null && now < s.commissioningUntil,
  commissioningUntil:
    s.commissioningUntil !== null && now < s.commissioningUntil ? iso(s.commissioningUntil) : null,
  createdAt: isoAt(s.createdAt),
});

export const quarantineView = (q: Quarantine): z.input<typeof quarantineAnswer> => ({
  id: q.id,
  householdId: q.householdId,
  start: isoAt(q.start),
  end: iso(q.end),
  createdAt: isoAt(q.createdAt),
});

export const windowView = (w: Window): z.input<typeof windowAnswer> => ({
  id: w.id,
  gridId: w.gridId,
  householdId: w.householdId,
  start: isoAt(w.start),
  end: isoAt(w.end),
  reason: w.reason,
  by: w.by,
  createdAt: isoAt(w.createdAt),
});

/** Online: heard from, not marked offline, and within the offline threshold. */
export function isOnline(state: SealState | undefined, now: number, offlineAfterMs: number): boolean {
  const lastSeen = state?.lastSeen ?? null;
  return state?.online === true && lastSeen !== null && now - lastSeen <= offlineAfterMs;
}

export const silenceView = (s: SensorSilence): z.input<typeof silenceAnswer> => ({
  sensorId: s.sensorId,
  until: isoAt(s.until),
  reason: s.reason,
  by: s.by,
  createdAt: isoAt(s.createdAt),
});

/** `silence`: the one in force on the seal now (the alerting engine keeps them), if any. */
export function sealView(
  registry: Registry,
  sensor: Sensor,
  state: SealState | undefined,
  now: number,
  silence: SensorSilence | undefined,
): z.input<typeof sealAnswer> {
  const household = registry.household(sensor.householdId);
  const lastSeen = state?.lastSeen ?? null;
  // Each seal is judged by its model's heartbeat (registry/sensorModels.ts).
  const offlineAfterMs = registry.offlineAfterMs(sensor);
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
    offlineAfter: offlineAfterMs,
    offlineAt: lastSeen === null ? null : iso(lastSeen + offlineAfterMs),
    lastDoorChange: iso(state?.lastDoorChange),
    commissioning: registry.inCommissioning(sensor.id, now),
    silenced: silence ? silenceView(silence) : null,
  };
}
