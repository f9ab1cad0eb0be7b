import type { Policy } from '../alertModel.ts';
import type { AlertingRegistry } from './ports.ts';

export interface Heartbeat {
  intervalMs: number;
  missedBeats: number;
}

/**
 * The heartbeat a sensor's silence is judged by: its model's interval and missed beats, or the
 * policy's (HEARTBEAT_INTERVAL × MISSED_HEARTBEATS) for a registry that knows no models. Two
 * in-memory map lookups: called for every message.
 */
export function heartbeatOf(
  registry: AlertingRegistry,
  policy: Pick<Policy, 'heartbeatIntervalMs' | 'missedBeats'>,
  sensorId: string,
): Heartbeat {
  const model = registry.sensorModelOf?.(sensorId);
  return model
    ? { intervalMs: model.heartbeatIntervalMs, missedBeats: model.missedHeartbeats }
    : { intervalMs: policy.heartbeatIntervalMs, missedBeats: policy.missedBeats };
}
