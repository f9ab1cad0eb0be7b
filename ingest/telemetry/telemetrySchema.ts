import type { Measurement } from './telemetrySink.ts';

/**
 * The measurements, tags and fields the writer emits, with one type per field
 * name. InfluxDB 1.x refuses a field whose type changes within a shard, so the
 * writer coerces every value to the type declared here. Dashboards and their
 * tests read this table, so it is the single truth about what is stored.
 */
export type FieldType = 'boolean' | 'integer' | 'float';

/**
 * Besides the tags below, every door, heartbeat and alert point carries one tag per level of the
 * grid (`county`, `township`, `village`, … as the grid's nodes name their levels), holding the id of
 * its node's ancestor at that level: registry/gridLevelTags.ts. Their keys are data, not listed here.
 */
export interface MeasurementSchema {
  tags: readonly string[];
  fields: Readonly<Record<string, FieldType>>;
}

const seriesTags = ['sensor', 'household', 'grid', 'model'] as const;

export const TELEMETRY_SCHEMA: Readonly<Record<Measurement, MeasurementSchema>> = {
  door: {
    tags: seriesTags,
    fields: { open: 'boolean', seq: 'integer', tamper: 'boolean' },
  },
  heartbeat: {
    tags: seriesTags,
    fields: {
      battery: 'float',
      rssi: 'float',
      open: 'boolean',
      online: 'boolean',
      seq: 'integer',
      tamper: 'boolean',
    },
  },
  alert: {
    // `change` is the lifecycle step: opened, notified, escalated, acknowledged, resolved.
    tags: ['type', 'grid', 'sensor', 'household', 'change'],
    fields: { count: 'integer', severity: 'integer' },
  },
};

/** Alert severities as the integer level stored in field `severity` (higher is worse). */
export const SEVERITY_LEVEL = { info: 0, maintenance: 1, warning: 2, critical: 3 } as const;

/**
 * Type of a field: declared in the schema, else integer-looking names are not
 * guessed — any undeclared number is a float, any boolean a boolean, so one
 * field name keeps one type whatever the value happens to be.
 */
export function fieldTypeOf(measurement: string, field: string, value: number | boolean): FieldType {
  const declared = (TELEMETRY_SCHEMA as Record<string, MeasurementSchema | undefined>)[measurement]?.fields[
    field
  ];
  if (declared) return declared;
  return typeof value === 'boolean' ? 'boolean' : 'float';
}
