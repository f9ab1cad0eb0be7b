import { SENSOR_ID_PATTERN } from '../../contract/topics.ts';
import type { SensorCredential } from '../fleet/credentials.ts';
import type { ApiClient } from './apiClient.ts';

/**
 * Builds a synthetic slice of the grid through the public API: one run node (under `parentId`, or a new root),
 * leaf nodes under it, one household per sensor, optionally an active quarantine, and the sensor itself (whose
 * secret the API shows only in its 201 answer).
 */
export interface ProvisionPlan {
  runId: string;
  parentId: string | null;
  leaves: readonly string[];
  sensors: readonly ProvisionSensor[];
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ProvisionSensor {
  key: string;
  leaf: string;
  quarantined: boolean;
  model?: string;
  /** Zigbee2MQTT: the name the gateway publishes under. */
  friendlyName?: string;
}

export interface ProvisionedSensor extends SensorCredential {
  householdId: string;
  gridId: string;
}

export interface ProvisionResult {
  rootId: string;
  leafIds: Map<string, string>;
  sensors: Map<string, ProvisionedSensor>;
}

export const runNodeId = (runId: string): string => `sim-${runId}`;

export function provisionIds(runId: string, key: string): { sensorId: string; householdId: string } {
  const sensorId = `sim-${runId}-${key}`;
  if (!SENSOR_ID_PATTERN.test(sensorId)) {
    throw new Error(
      `generated sensor id "${sensorId}" is not a valid sensor id; use a shorter run id or key`,
    );
  }
  return { sensorId, householdId: `sim-${runId}-${key}-hh` };
}

async function inBatches<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}

export async function provision(
  api: ApiClient,
  plan: ProvisionPlan,
  now = Date.now(),
): Promise<ProvisionResult> {
  const rootId = runNodeId(plan.runId);
  await api.post('/api/grid', {
    id: rootId,
    name: `Simulator run ${plan.runId}`,
    parentId: plan.parentId,
    level: 'simulation',
  });
  const leafIds = new Map<string, string>();
  for (const leaf of plan.leaves) {
    const id = `${rootId}-${leaf}`;
    await api.post('/api/grid', {
      id,
      name: `Simulated grid ${leaf} (${plan.runId})`,
      parentId: rootId,
      level: 'grid',
    });
    await api.post('/api/workers', {
      id: `${id}-worker`,
      name: `Simulated worker ${leaf}`,
      gridId: id,
      role: 'worker',
    });
    leafIds.set(leaf, id);
  }
  const sensors = new Map<string, ProvisionedSensor>();
  let done = 0;
  const quarantineStart = new Date(now - 60_000).toISOString();
  const quarantineEnd = new Date(now + 30 * 24 * 3_600_000).toISOString();
  await inBatches(plan.sensors, plan.concurrency ?? 8, async (s) => {
    const gridId = leafIds.get(s.leaf);
    if (!gridId) throw new Error(`sensor ${s.key} names unknown grid leaf "${s.leaf}"`);
    const { sensorId, householdId } = provisionIds(plan.runId, s.key);
    await api.post('/api/households', {
      id: householdId,
      gridId,
      address: `Simulated household ${s.key}, ${plan.runId}`,
    });
    if (s.quarantined) {
      await api.post('/api/quarantines', { householdId, start: quarantineStart, end: quarantineEnd });
    }
    const created = await api.post<{ id?: string; secret?: unknown }>('/api/sensors', {
      id: sensorId,
      householdId,
      ...(s.model ? { model: s.model } : {}),
      ...(s.friendlyName ? { friendlyName: s.friendlyName } : {}),
    });
    if (typeof created?.secret !== 'string' || created.secret === '') {
      throw new Error(`POST /api/sensors for ${sensorId} answered without a "secret"`);
    }
    sensors.set(s.key, { sensorId, secret: created.secret, householdId, gridId });
    done += 1;
    plan.onProgress?.(done, plan.sensors.length);
  });
  return { rootId, leafIds, sensors };
}

/** A short, collision-resistant id so repeated runs against one service do not clash. */
export function newRunId(): string {
  return `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, '0')}`;
}

/**
 * Registers a gateway credential (the service's `POST /api/gateways`, not a SPEC fixed point) that may publish
 * for the given sensors; returns the MQTT login the simulated gateway uses.
 */
export async function provisionGateway(
  api: ApiClient,
  runId: string,
  sensorIds: readonly string[],
): Promise<{ username: string; password: string }> {
  const id = `sim-${runId}-gw`;
  const created = await api.post<{ id?: string; secret?: unknown }>('/api/gateways', {
    id,
    name: `Simulated Zigbee gateway (${runId})`,
    sensorIds,
  });
  if (typeof created?.secret !== 'string') throw new Error('POST /api/gateways answered without a "secret"');
  return { username: created.id ?? id, password: created.secret };
}
