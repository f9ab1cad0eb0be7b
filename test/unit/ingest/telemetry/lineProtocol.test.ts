import { describe, expect, it } from 'vitest';
import { encodePoint, escapeKey, escapeMeasurement } from '../../../../ingest/telemetry/lineProtocol.ts';
import type { TelemetryPoint } from '../../../../ingest/telemetry/telemetrySink.ts';

function line(point: TelemetryPoint): string {
  const result = encodePoint(point);
  if (!result.ok) throw new Error(result.reason);
  return result.line;
}

describe('line protocol escaping', () => {
  it('escapes commas and spaces in measurements, but not equals signs', () => {
    expect(escapeMeasurement('door, main=x')).toBe('door\\,\\ main=x');
  });

  it('escapes commas, equals signs and spaces in keys and tag values', () => {
    expect(escapeKey('a,b=c d')).toBe('a\\,b\\=c\\ d');
  });

  it('never lets a raw newline, carriage return or tab into a line', () => {
    const encoded = line({
      measurement: 'door',
      tags: { sensor: 'S\n1\r\t' },
      fields: { open: true },
      time: 1,
    });
    expect(encoded).toBe('door,sensor=S\\n1\\r\\t open=true 1');
    expect(encoded).not.toMatch(/[\n\r\t]/);
  });
});

describe('encodePoint', () => {
  it('sorts tags, omits empty tag values, and writes ms timestamps', () => {
    expect(
      line({
        measurement: 'door',
        tags: { sensor: 'S-1', grid: 'g 7', household: '', model: 'MC-38' },
        fields: { open: false, seq: 42 },
        time: 1_700_000_000_123,
      }),
    ).toBe('door,grid=g\\ 7,model=MC-38,sensor=S-1 open=false,seq=42i 1700000000123');
  });

  it('keeps one type per field name whatever the value looks like', () => {
    // battery 80 must stay a float: InfluxDB 1.x refuses a type change within a shard.
    expect(
      line({
        measurement: 'heartbeat',
        tags: {},
        fields: { battery: 80, rssi: -67, open: true, seq: 3 },
        time: 5,
      }),
    ).toBe('heartbeat battery=80,rssi=-67,open=true,seq=3i 5');
    expect(line({ measurement: 'heartbeat', tags: {}, fields: { battery: 79.5, seq: 4.6 }, time: 5 })).toBe(
      'heartbeat battery=79.5,seq=5i 5',
    );
  });

  it('coerces a value of the wrong kind to the declared type', () => {
    expect(line({ measurement: 'door', tags: {}, fields: { open: 1, seq: true }, time: 1 })).toBe(
      'door open=true,seq=1i 1',
    );
    expect(
      line({ measurement: 'alert', tags: { type: 'breach' }, fields: { count: 2, severity: 3 }, time: 1 }),
    ).toBe('alert,type=breach count=2i,severity=3i 1');
  });

  it('writes undeclared numbers as floats and undeclared booleans as booleans', () => {
    expect(line({ measurement: 'door', tags: {}, fields: { extra: 2, flag: false }, time: 1 })).toBe(
      'door extra=2,flag=false 1',
    );
  });

  it('drops values line protocol cannot carry, and refuses a point left without fields', () => {
    expect(
      line({ measurement: 'heartbeat', tags: {}, fields: { battery: Number.NaN, rssi: -50 }, time: 1 }),
    ).toBe('heartbeat rssi=-50 1');
    expect(
      encodePoint({
        measurement: 'heartbeat',
        tags: {},
        fields: { battery: Number.POSITIVE_INFINITY },
        time: 1,
      }),
    ).toEqual({ ok: false, reason: 'no valid field' });
    expect(encodePoint({ measurement: 'door', tags: {}, fields: { open: true }, time: Number.NaN }).ok).toBe(
      false,
    );
  });

  it('writes a frozen tags object (kept by object) as it writes the same tags unfrozen', () => {
    const tags = { sensor: 'S 1', household: 'H,1', grid: 'g', model: '', township: 't' };
    const frozen = Object.freeze({ ...tags });
    const at = (time: number, t: Record<string, string>) =>
      line({ measurement: 'heartbeat', tags: t, fields: { battery: 50 }, time });
    expect(at(1, frozen)).toBe(at(1, tags));
    expect(at(2, frozen)).toBe(at(2, tags));
    expect(at(2, frozen)).toBe('heartbeat,grid=g,household=H\\,1,sensor=S\\ 1,township=t battery=50 2');
  });
});
