import type { SealMessage } from '../core/sealMessage.ts';
import type { TelemetryPoint } from './telemetry/telemetrySink.ts';

/** The series tags, and the node's roll-up tags by grid level (registry/gridLevelTags.ts). */
export interface PointTags {
  sensor: string;
  household: string;
  grid: string;
  model: string;
  [level: string]: string;
}

/** One point per accepted message; the fields are those of telemetry/telemetrySchema.ts. */
export function pointFor(m: SealMessage, tags: PointTags): TelemetryPoint {
  const seq: Record<string, number> = m.seq === null ? {} : { seq: m.seq };
  switch (m.kind) {
    case 'door':
      return {
        measurement: 'door',
        tags: { ...tags },
        fields: { open: m.door === 'open', ...seq },
        time: m.ts,
      };
    case 'tamper':
      return { measurement: 'door', tags: { ...tags }, fields: { tamper: true, ...seq }, time: m.ts };
    case 'heartbeat': {
      const fields: TelemetryPoint['fields'] = { ...seq };
      if (m.battery !== null) fields.battery = m.battery;
      if (m.rssi !== null) fields.rssi = m.rssi;
      if (m.door !== null) fields.open = m.door === 'open';
      return { measurement: 'heartbeat', tags: { ...tags }, fields, time: m.ts };
    }
    case 'status':
      return { measurement: 'heartbeat', tags: { ...tags }, fields: { online: m.online }, time: m.ts };
  }
}
