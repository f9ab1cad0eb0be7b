import { type FieldType, fieldTypeOf, type MeasurementSchema, TELEMETRY_SCHEMA } from './telemetrySchema.ts';
import type { TelemetryPoint } from './telemetrySink.ts';

/**
 * InfluxDB line protocol, precision ms. A line never contains a raw newline:
 * the spool is line-oriented, so control characters are escaped the way the
 * official client does (`\n`, `\r`, `\t`).
 */

const controlEscapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const measurementSpecials = /[, \n\r\t]/;
const keySpecials = /[,= \n\r\t]/;
const escapeChar = (c: string): string => controlEscapes[c] ?? `\\${c}`;

// Names are nearly always plain ids: testing first skips the costly replace.
export function escapeMeasurement(name: string): string {
  return measurementSpecials.test(name) ? name.replace(/[, \n\r\t]/g, escapeChar) : name;
}

/** Tag keys, tag values and field keys share one escaping rule. */
export function escapeKey(name: string): string {
  return keySpecials.test(name) ? name.replace(/[,= \n\r\t]/g, escapeChar) : name;
}

export type EncodeResult = { ok: true; line: string } | { ok: false; reason: string };

/**
 * `timeFor` may give the point another millisecond than its own, from the
 * series it belongs to (the measurement and tags as encoded): see seriesTimes.ts.
 */
export function encodePoint(
  point: TelemetryPoint,
  timeFor: (series: string, time: number, fields: string) => number = (_series, time) => time,
): EncodeResult {
  const { measurement } = point;
  if (!measurement) return { ok: false, reason: 'empty measurement' };
  if (!Number.isFinite(point.time)) return { ok: false, reason: `bad time ${String(point.time)}` };

  const line = seriesText(measurement, point.tags);

  const declared = declaredFields(measurement);
  let fields = '';
  for (const key in point.fields) {
    const value = point.fields[key];
    if (!key || value === undefined) continue;
    const field = declared.get(key);
    const encoded = encodeValue(field?.type ?? fieldTypeOf(measurement, key, value), value);
    if (encoded === null) continue;
    const pair = field ? field.prefix + encoded : `${escapeKey(key)}=${encoded}`;
    fields = fields === '' ? pair : `${fields},${pair}`;
  }
  if (!fields) return { ok: false, reason: 'no valid field' };

  return { ok: true, line: `${line} ${fields} ${timeFor(line, Math.round(point.time), fields)}` };
}

/**
 * A frozen tags object cannot change, so its series text (measurement and tags, escaped) is kept per
 * measurement: ingest hands one frozen object per sensor to all of its points (ingest/seriesTags.ts).
 * Sorting and escaping the same tags for every message was a visible cost (issue 20.1), and the same
 * string each time is also hashed once for seriesTimes' map instead of once per point.
 */
const frozenSeriesText = new WeakMap<object, Map<string, string>>();

function seriesText(measurement: string, tags: Readonly<Record<string, string>>): string {
  if (!Object.isFrozen(tags)) return escapeMeasurement(measurement) + encodeTags(tags);
  let byMeasurement = frozenSeriesText.get(tags);
  if (byMeasurement === undefined) {
    byMeasurement = new Map();
    frozenSeriesText.set(tags, byMeasurement);
  }
  let text = byMeasurement.get(measurement);
  if (text === undefined) {
    text = escapeMeasurement(measurement) + encodeTags(tags);
    byMeasurement.set(measurement, text);
  }
  return text;
}

function encodeTags(tags: Readonly<Record<string, string>>): string {
  let text = '';
  // Sorted tags are what InfluxDB stores anyway; sending them sorted saves it the work.
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    // Line protocol has no empty tag value: an absent tag is the same thing.
    if (!key || value === undefined || value === '') continue;
    text += `,${escapeKey(key)}=${escapeKey(value)}`;
  }
  return text;
}

/**
 * A measurement's declared fields, each with its escaped `key=` and its type, made once: escaping the
 * key and looking up its type for every field of every point was most of encoding a point (issue 20.1).
 */
const declaredByMeasurement = new Map<string, Map<string, { prefix: string; type: FieldType }>>();

function declaredFields(measurement: string): Map<string, { prefix: string; type: FieldType }> {
  let declared = declaredByMeasurement.get(measurement);
  if (declared === undefined) {
    declared = new Map();
    const schema = (TELEMETRY_SCHEMA as Record<string, MeasurementSchema | undefined>)[measurement];
    for (const [key, type] of Object.entries(schema?.fields ?? {})) {
      declared.set(key, { prefix: `${escapeKey(key)}=`, type });
    }
    declaredByMeasurement.set(measurement, declared);
  }
  return declared;
}

/** Coerces to the field's one declared type; null for values line protocol cannot carry (NaN, ±Infinity). */
function encodeValue(type: FieldType, value: number | boolean): string | null {
  if (type === 'boolean') return (typeof value === 'boolean' ? value : value !== 0) ? 'true' : 'false';
  const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (!Number.isFinite(n)) return null;
  if (type === 'integer') return `${Math.round(n)}i`;
  return String(n);
}
