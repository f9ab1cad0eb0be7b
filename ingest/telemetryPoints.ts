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

/**
 * One point per accepted message; the fields are those of telemetry/telemetrySchema.ts. The tags
 * object is used as given, not copied: the pipeline hands the same frozen object to every point of
 * a sensor (ingest/seriesTags.ts), which is what lets the line protocol encoder reuse its tag text.
 */
export function pointFor(m: SealMessage, tags: PointTags): TelemetryPoint {
  // Fields are built property by property in one fixed order, not spread from a `{ seq }` object:
  // the spreads made these lines hot in the ingest profile (issue 20.1).
  const fields: TelemetryPoint['fields'] = {};
  switch (m.kind) {
    case 'door':
      fields.open = m.door === 'open';
      if (m.seq !== null) fields.seq = m.seq;
      return { measurement: 'door', tags, fields, time: m.ts };
    case 'tamper':
      fields.tamper = true;
      if (m.seq !== null) fields.seq = m.seq;
      return { measurement: 'door', tags, fields, time: m.ts };
    case 'heartbeat':
      if (m.seq !== null) fields.seq = m.seq;
      if (m.battery !== null) fields.battery = m.battery;
      if (m.rssi !== null) fields.rssi = m.rssi;
      if (m.door !== null) fields.open = m.door === 'open';
      return { measurement: 'heartbeat', tags, fields, time: m.ts };
    case 'status':
      fields.online = m.online;
      return { measurement: 'heartbeat', tags, fields, time: m.ts };
  }
}
