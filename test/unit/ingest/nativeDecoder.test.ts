import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeDecoder } from '../../../ingest/decoders/native.ts';
import { context, expectValidResult, json, RECEIVED_AT } from './decoderFixtures.ts';

const ctx = context();
const decode = (topic: string, payload: Buffer | string) =>
  nativeDecoder.decode(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, ctx);

describe('native decoder: the spec’s messages', () => {
  it('matches seal/ topics only', () => {
    expect(nativeDecoder.matches('seal/s1/event')).toBe(true);
    expect(nativeDecoder.matches('zigbee2mqtt/s1')).toBe(false);
  });

  it.each([
    ['open', 'open'],
    ['close', 'closed'],
  ] as const)('event %s → door %s', (type, door) => {
    expect(decode('seal/s-001/event', json({ type, ts: 1_699_999_999_000, seq: 41 }))).toEqual({
      ok: true,
      messages: [
        {
          kind: 'door',
          sensorId: 's-001',
          dialect: 'native',
          door,
          ts: 1_699_999_999_000,
          receivedAt: RECEIVED_AT,
          seq: 41,
        },
      ],
    });
  });

  it('event tamper → tamper', () => {
    const r = decode('seal/s-001/event', '{"type":"tamper","ts":1699999999000,"seq":0}');
    expect(r).toEqual({
      ok: true,
      messages: [
        {
          kind: 'tamper',
          sensorId: 's-001',
          dialect: 'native',
          ts: 1_699_999_999_000,
          receivedAt: RECEIVED_AT,
          seq: 0,
        },
      ],
    });
  });

  it('heartbeat carries door, battery and rssi', () => {
    const r = decode(
      'seal/s-001/heartbeat',
      '{"ts":1699999999000,"seq":42,"door":"closed","battery":87,"rssi":-71}',
    );
    expect(r).toEqual({
      ok: true,
      messages: [
        {
          kind: 'heartbeat',
          sensorId: 's-001',
          dialect: 'native',
          ts: 1_699_999_999_000,
          receivedAt: RECEIVED_AT,
          seq: 42,
          door: 'closed',
          battery: 87,
          rssi: -71,
        },
      ],
    });
  });

  it.each([
    ['online', true],
    ['offline', false],
  ])('status %s', (text, online) => {
    expect(decode('seal/s-001/status', text)).toEqual({
      ok: true,
      messages: [
        {
          kind: 'status',
          sensorId: 's-001',
          dialect: 'native',
          online,
          ts: RECEIVED_AT,
          receivedAt: RECEIVED_AT,
          seq: null,
        },
      ],
    });
  });
});

describe('native decoder: refusals', () => {
  it.each([
    ['seal/s-001/config', '{}', 'bad_topic', null],
    ['seal/bad id/event', '{}', 'bad_topic', null],
    ['seal/s-001/event/x', '{}', 'bad_topic', null],
    ['seal/s-001/event', '{"type":"open",', 'bad_json', 's-001'],
    ['seal/s-001/event', '', 'bad_json', 's-001'],
    ['seal/s-001/event', '{"type":"open","ts":1}', 'schema', 's-001'],
    ['seal/s-001/event', '{"type":"open","ts":1,"seq":1,"x":1}', 'schema', 's-001'],
    ['seal/s-001/event', '[]', 'schema', 's-001'],
    ['seal/s-001/event', 'null', 'schema', 's-001'],
    ['seal/s-001/heartbeat', '{"ts":1,"seq":1,"door":"closed","battery":101,"rssi":-70}', 'schema', 's-001'],
    ['seal/s-001/status', 'ONLINE', 'schema', 's-001'],
    ['seal/s-001/status', '"online"', 'schema', 's-001'],
  ])('%s %s → %s', (topic, payload, reason, sensorId) => {
    const r = decode(topic, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.sensorId).toBe(sensorId);
      expect(r.detail.length).toBeGreaterThan(0);
    }
  });

  it('refuses payloads over 1 KiB as too_large, and accepts exactly 1 KiB', () => {
    const base = '{"type":"open","ts":1,"seq":1}';
    const exact = Buffer.from(base + ' '.repeat(1024 - base.length));
    expect(exact.length).toBe(1024);
    expect(decode('seal/s-001/event', exact).ok).toBe(true);
    const over = Buffer.concat([exact, Buffer.from(' ')]);
    expect(decode('seal/s-001/event', over)).toMatchObject({
      ok: false,
      reason: 'too_large',
      sensorId: 's-001',
    });
  });
});

const sensorIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const tsArb = fc.maxSafeNat();
const seqArb = fc.integer({ min: 0, max: 0xffff_ffff });
const noNegZero = (x: number) => x + 0;

describe('native decoder: properties', () => {
  it('round-trips any valid event', () => {
    fc.assert(
      fc.property(
        sensorIdArb,
        fc.constantFrom('open', 'close', 'tamper'),
        tsArb,
        seqArb,
        (id, type, ts, seq) => {
          const r = decode(`seal/${id}/event`, json({ type, ts, seq }));
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.messages).toHaveLength(1);
          const m = r.messages[0]!;
          expectValidResult(r, nativeDecoder, RECEIVED_AT);
          expect(m).toMatchObject({ sensorId: id, ts, seq, receivedAt: RECEIVED_AT });
          if (type === 'tamper') expect(m.kind).toBe('tamper');
          else expect(m).toMatchObject({ kind: 'door', door: type === 'open' ? 'open' : 'closed' });
        },
      ),
    );
  });

  it('round-trips any valid heartbeat', () => {
    fc.assert(
      fc.property(
        sensorIdArb,
        tsArb,
        seqArb,
        fc.constantFrom('open', 'closed'),
        fc.double({ min: 0, max: 100, noNaN: true }).map(noNegZero),
        fc.double({ min: -200, max: 50, noNaN: true }).map(noNegZero),
        (id, ts, seq, door, battery, rssi) => {
          const r = decode(`seal/${id}/heartbeat`, json({ ts, seq, door, battery, rssi }));
          expectValidResult(r, nativeDecoder, RECEIVED_AT);
          expect(r).toEqual({
            ok: true,
            messages: [
              {
                kind: 'heartbeat',
                sensorId: id,
                dialect: 'native',
                ts,
                seq,
                door,
                battery,
                rssi,
                receivedAt: RECEIVED_AT,
              },
            ],
          });
        },
      ),
    );
  });
});
