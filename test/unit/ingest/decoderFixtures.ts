import { expect } from 'vitest';
import { SENSOR_ID_PATTERN } from '../../../contract/topics.ts';
import type { RejectReason } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import type { DecodeContext, DecodeResult, DialectDecoder } from '../../../ingest/decoders/dialect.ts';

export const RECEIVED_AT = 1_700_000_000_000;

/** Every RejectReason; the type check below fails when core/events.ts adds one. */
export const REJECT_REASONS = [
  'bad_json',
  'schema',
  'too_large',
  'unknown_sensor',
  'acl',
  'bad_topic',
  'duplicate',
  'unknown_dialect',
] as const satisfies readonly RejectReason[];
type Missing = Exclude<RejectReason, (typeof REJECT_REASONS)[number]>;
export const reasonsAreExhaustive: [Missing] extends [never] ? true : never = true;

/** The registry's friendly-name lookup, as a plain map (a test double for Registry.sensorByFriendlyName). */
export function context(names: Record<string, string> = {}, receivedAt = RECEIVED_AT): DecodeContext {
  const map = new Map(Object.entries(names));
  return { receivedAt, sensorIdForName: (name) => map.get(name) };
}

/** A lookup that binds every name to one sensor, so decoders go past the registry check. */
export const bindEveryName = (sensorId: string, receivedAt = RECEIVED_AT): DecodeContext => ({
  receivedAt,
  sensorIdForName: () => sensorId,
});

const KEYS: Record<SealMessage['kind'], string[]> = {
  door: ['dialect', 'door', 'kind', 'receivedAt', 'sensorId', 'seq', 'ts'],
  tamper: ['dialect', 'kind', 'receivedAt', 'sensorId', 'seq', 'ts'],
  heartbeat: ['battery', 'dialect', 'door', 'kind', 'receivedAt', 'rssi', 'sensorId', 'seq', 'ts'],
  status: ['dialect', 'kind', 'online', 'receivedAt', 'sensorId', 'seq', 'ts'],
};

export function expectWellFormed(m: SealMessage, decoder: DialectDecoder, receivedAt: number): void {
  expect(m.dialect).toBe(decoder.name);
  expect(SENSOR_ID_PATTERN.test(m.sensorId)).toBe(true);
  expect(m.receivedAt).toBe(receivedAt);
  expect(Number.isSafeInteger(m.ts) && m.ts >= 0).toBe(true);
  if (m.seq !== null) expect(Number.isInteger(m.seq) && m.seq >= 0 && m.seq <= 0xffff_ffff).toBe(true);
  const keys = Object.keys(m).filter((k) => !(m.kind === 'heartbeat' && k === 'tamper'));
  expect(keys.sort()).toEqual(KEYS[m.kind]);
  switch (m.kind) {
    case 'door':
      expect(['open', 'closed']).toContain(m.door);
      break;
    case 'tamper':
      break;
    case 'heartbeat':
      expect([null, 'open', 'closed']).toContain(m.door);
      if (m.battery !== null)
        expect(Number.isFinite(m.battery) && m.battery >= 0 && m.battery <= 100).toBe(true);
      if (m.rssi !== null) expect(Number.isFinite(m.rssi)).toBe(true);
      if (m.tamper !== undefined) expect(typeof m.tamper).toBe('boolean');
      break;
    case 'status':
      expect(typeof m.online).toBe('boolean');
      expect(m.seq).toBeNull();
      break;
  }
}

export function expectValidResult(result: DecodeResult, decoder: DialectDecoder, receivedAt: number): void {
  if (result.ok) {
    expect(Array.isArray(result.messages)).toBe(true);
    for (const m of result.messages) expectWellFormed(m, decoder, receivedAt);
  } else {
    expect(REJECT_REASONS).toContain(result.reason);
    expect(typeof result.detail).toBe('string');
    expect(result.sensorId === null || typeof result.sensorId === 'string').toBe(true);
  }
}

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
