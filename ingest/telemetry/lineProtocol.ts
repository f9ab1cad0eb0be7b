import { fieldTypeOf } from './telemetrySchema.ts';
import type { TelemetryPoint } from './telemetrySink.ts';

/**
 * InfluxDB line protocol, precision ms. A line never contains a raw newline:
 * the spool is line-oriented, so control characters are escaped the way the
 * official client does (`\n`, `\r`, `\t`).
 */

const controlEscapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeMeasurement(name: string): string {
  return name.replace(/[, \n\r\t]/g, (c) => controlEscapes[c] ?? `\\${c}`);
}

/** Tag keys, tag values and field keys share one escaping rule. */
export function escapeKey(name: string): string {
  return name.replace(/[,= \n\r\t]/g, (c) => controlEscapes[c] ?? `\\${c}`);
}

export type EncodeResult = { ok: true; line: string } | { ok: false; reason: string };

export function encodePoint(point: TelemetryPoint): EncodeResult {
  const { measurement } = point;
  if (!measurement) return { ok: false, reason: 'empty measurement' };
  if (!Number.isFinite(point.time)) return { ok: false, reason: `bad time ${String(point.time)}` };

  let line = escapeMeasurement(measurement);
  // Sorted tags are what InfluxDB stores anyway; sending them sorted saves it the work.
  for (const key of Object.keys(point.tags).sort()) {
    const value = point.tags[key];
    // Line protocol has no empty tag value: an absent tag is the same thing.
    if (!key || value === undefined || value === '') continue;
    line += `,${escapeKey(key)}=${escapeKey(value)}`;
  }

  const fields: string[] = [];
  for (const [key, value] of Object.entries(point.fields)) {
    if (!key) continue;
    const encoded = encodeField(measurement, key, value);
    if (encoded !== null) fields.push(`${escapeKey(key)}=${encoded}`);
  }
  if (fields.length === 0) return { ok: false, reason: 'no valid field' };

  return { ok: true, line: `${line} ${fields.join(',')} ${Math.round(point.time)}` };
}

/** Coerces to the field's one declared type; null for values line protocol cannot carry (NaN, ±Infinity). */
function encodeField(measurement: string, key: string, value: number | boolean): string | null {
  const type = fieldTypeOf(measurement, key, value);
  if (type === 'boolean') return (typeof value === 'boolean' ? value : value !== 0) ? 'true' : 'false';
  const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (!Number.isFinite(n)) return null;
  if (type === 'integer') return `${Math.round(n)}i`;
  return String(n);
}
