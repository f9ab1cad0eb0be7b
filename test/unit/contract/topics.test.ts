import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nativeEventSchema,
  nativeHeartbeatSchema,
  parseSealTopic,
  SENSOR_ID_PATTERN,
  sealTopic,
  sensorIdSchema,
} from '../../../contract/topics.ts';

const sensorIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const channelArb = fc.constantFrom('event', 'heartbeat', 'status', 'config') as fc.Arbitrary<
  'event' | 'heartbeat' | 'status' | 'config'
>;

describe('parseSealTopic', () => {
  it.each([
    ['seal/s-001/event', { sensorId: 's-001', channel: 'event' }],
    ['seal/A_b-9/heartbeat', { sensorId: 'A_b-9', channel: 'heartbeat' }],
    ['seal/x/status', { sensorId: 'x', channel: 'status' }],
    ['seal/x/config', { sensorId: 'x', channel: 'config' }],
  ])('%s parses', (topic, expected) => {
    expect(parseSealTopic(topic)).toEqual(expected);
  });

  it.each([
    'seal/s1',
    'seal/s1/event/extra',
    'seal//event',
    '/seal/s1/event',
    'Seal/s1/event',
    'seal/s1/events',
    'seal/s1/',
    'seal/+/event',
    'seal/#',
    'seal/s.1/event',
    'seal/门磁/event',
    `seal/${'a'.repeat(65)}/event`,
    'zigbee2mqtt/door',
    '',
  ])('%s is not a native topic', (topic) => {
    expect(parseSealTopic(topic)).toBeNull();
  });

  it('accepts a 64-character id', () => {
    expect(parseSealTopic(`seal/${'a'.repeat(64)}/event`)?.sensorId).toBe('a'.repeat(64));
  });

  it('round-trips sealTopic for every valid id and channel', () => {
    fc.assert(
      fc.property(sensorIdArb, channelArb, (id, channel) => {
        expect(parseSealTopic(sealTopic(id, channel))).toEqual({ sensorId: id, channel });
      }),
    );
  });

  it('answers as splitting on `/` does, for topics of any shape (it finds the slashes instead)', () => {
    const bySplit = (topic: string) => {
      const parts = topic.split('/');
      if (parts.length !== 3 || parts[0] !== 'seal' || !SENSOR_ID_PATTERN.test(parts[1] as string))
        return null;
      return ['event', 'heartbeat', 'status', 'config'].includes(parts[2] as string)
        ? { sensorId: parts[1], channel: parts[2] }
        : null;
    };
    const segment = fc.oneof(sensorIdArb, channelArb, fc.constantFrom('seal', '', '+', '#', 'x/y'));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const topic = segments.join('/');
        expect(parseSealTopic(topic)).toEqual(bySplit(topic));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws; whatever it returns has a valid id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (topic) => {
        const parsed = parseSealTopic(topic);
        if (parsed) expect(SENSOR_ID_PATTERN.test(parsed.sensorId)).toBe(true);
      }),
    );
  });
});

describe('sensorIdSchema', () => {
  it('follows ^[A-Za-z0-9_-]{1,64}$', () => {
    expect(sensorIdSchema.safeParse('s-001_A').success).toBe(true);
    expect(sensorIdSchema.safeParse('').success).toBe(false);
    expect(sensorIdSchema.safeParse('s 1').success).toBe(false);
    expect(sensorIdSchema.safeParse('s1\n').success).toBe(false);
  });
});

describe('native payload schemas', () => {
  it('accepts the spec’s event and heartbeat', () => {
    expect(nativeEventSchema.safeParse({ type: 'open', ts: 1_700_000_000_000, seq: 7 }).success).toBe(true);
    expect(nativeEventSchema.safeParse({ type: 'tamper', ts: 0, seq: 0xffff_ffff }).success).toBe(true);
    expect(
      nativeHeartbeatSchema.safeParse({
        ts: 1_700_000_000_000,
        seq: 8,
        door: 'closed',
        battery: 97,
        rssi: -71,
      }).success,
    ).toBe(true);
  });

  it.each([
    [{ type: 'opened', ts: 1, seq: 1 }],
    [{ type: 'open', ts: 1, seq: -1 }],
    [{ type: 'open', ts: 1, seq: 0x1_0000_0000 }],
    [{ type: 'open', ts: 1, seq: 1.5 }],
    [{ type: 'open', ts: -1, seq: 1 }],
    [{ type: 'open', ts: '1700000000000', seq: 1 }],
    [{ type: 'open', ts: 1 }],
    [{ type: 'open', ts: 1, seq: 1, extra: true }],
  ])('refuses the event %j', (payload) => {
    expect(nativeEventSchema.safeParse(payload).success).toBe(false);
  });

  it.each([
    [{ ts: 1, seq: 1, door: 'open', battery: 101, rssi: -70 }],
    [{ ts: 1, seq: 1, door: 'open', battery: -1, rssi: -70 }],
    [{ ts: 1, seq: 1, door: 'ajar', battery: 50, rssi: -70 }],
    [{ ts: 1, seq: 1, door: 'open', battery: 50, rssi: -300 }],
    [{ ts: 1, seq: 1, door: 'open', battery: 50 }],
  ])('refuses the heartbeat %j', (payload) => {
    expect(nativeHeartbeatSchema.safeParse(payload).success).toBe(false);
  });
});
