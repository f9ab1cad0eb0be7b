/**
 * Sensor models (device profiles): how a kind of device behaves, so that offline detection judges
 * each seal by its own heartbeat. A Zigbee contact sensor that checks in hourly is not offline after
 * three minutes of silence; a native seal that beats every minute is.
 *
 * The shipped profiles (contract/deviceProfiles.ts, with their sources) always exist. `generic` follows the environment
 * (HEARTBEAT_INTERVAL × MISSED_HEARTBEATS) and cannot be edited; the others can be tuned with
 * PATCH /api/models/:id (the change is stored and wins over the shipped numbers).
 *
 * `missedHeartbeats` may be fractional: it is the factor between the heartbeat interval and the
 * offline deadline, and where the vendor (or the platform that talks to the device) has its own
 * offline timeout we match it, e.g. Home Assistant's 1.2 × sleep period for the Shelly.
 */

import { DEVICE_PROFILES, type DeviceProfile } from '../contract/deviceProfiles.ts';

/** A device profile as the registry holds it (the wire format is the simulator's and the decoders' business). */
export interface SensorModel extends Omit<DeviceProfile, 'reportsAs'> {
  /** Shipped with the service (cannot be removed); false for models an admin added. */
  builtIn: boolean;
}

export const GENERIC_MODEL = 'generic';

/** The environment's defaults, which `generic` follows. */
export interface GenericHeartbeat {
  heartbeatIntervalMs: number;
  missedHeartbeats: number;
}

export const DEFAULT_GENERIC_HEARTBEAT: GenericHeartbeat = {
  heartbeatIntervalMs: 60_000,
  missedHeartbeats: 3,
};

/** The profiles that ship, besides `generic` (their numbers and sources: contract/deviceProfiles.ts). */
export const SHIPPED_MODELS: readonly Omit<SensorModel, 'builtIn'>[] = DEVICE_PROFILES.map(
  ({ reportsAs: _, ...model }) => model,
);

/** The `generic` profile for the environment's heartbeat. */
export function genericModel(env: GenericHeartbeat): SensorModel {
  return {
    id: GENERIC_MODEL,
    name: 'Generic (native protocol, HEARTBEAT_INTERVAL × MISSED_HEARTBEATS)',
    heartbeatIntervalMs: env.heartbeatIntervalMs,
    missedHeartbeats: env.missedHeartbeats,
    lowBatteryPercent: null,
    heartbeatCarriesDoor: true,
    builtIn: true,
  };
}

/** Silence after which a seal of this model is offline. */
export function offlineAfterMs(model: Pick<SensorModel, 'heartbeatIntervalMs' | 'missedHeartbeats'>): number {
  return Math.round(model.heartbeatIntervalMs * model.missedHeartbeats);
}

/**
 * Every model: `generic` from the environment, the shipped ones, then the stored ones (an admin's
 * own models, and shipped ones an admin edited, which win over the shipped numbers).
 */
export function modelCatalog(
  env: GenericHeartbeat,
  stored: readonly SensorModel[],
): Map<string, SensorModel> {
  const catalog = new Map<string, SensorModel>();
  catalog.set(GENERIC_MODEL, genericModel(env));
  for (const m of SHIPPED_MODELS) catalog.set(m.id, { ...m, builtIn: true });
  for (const m of stored) {
    if (m.id === GENERIC_MODEL) continue;
    catalog.set(m.id, { ...m, builtIn: catalog.get(m.id)?.builtIn ?? false });
  }
  return catalog;
}
