import fc from 'fast-check';
import { describe, it } from 'vitest';
import { DECODERS } from '../../../ingest/decoders/index.ts';
import { bindEveryName, context, expectValidResult, RECEIVED_AT } from './decoderFixtures.ts';

const PREFIXES = [
  '',
  'seal/',
  'zigbee2mqtt/',
  'shellies/',
  'seal/s-001/',
  'shellies/shellydw2-8A1B2C/',
  'zigbee2mqtt/bridge/',
];
const SUFFIXES = [
  '',
  '/event',
  '/heartbeat',
  '/status',
  '/availability',
  '/sensor/state',
  '/sensor/battery',
  '/online',
  '/set',
];

const topicArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .tuple(fc.constantFrom(...PREFIXES), fc.string({ maxLength: 20 }), fc.constantFrom(...SUFFIXES))
    .map(([p, mid, s]) => p + mid + s),
  fc.constantFrom(
    'seal/s-001/event',
    'seal/s-001/heartbeat',
    'seal/s-001/status',
    'zigbee2mqtt/front-door',
    'zigbee2mqtt/front-door/availability',
    'shellies/shellydw2-8A1B2C/sensor/state',
    'shellies/shellydw2-8A1B2C/sensor/battery',
    'shellies/shellydw2-8A1B2C/online',
  ),
);

const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 1100 }).map((a) => Buffer.from(a)),
  fc.json().map((t) => Buffer.from(t)),
  fc
    .record(
      {
        type: fc.constantFrom('open', 'close', 'tamper', 'x'),
        ts: fc.oneof(fc.maxSafeNat(), fc.double(), fc.string()),
        seq: fc.oneof(fc.nat(), fc.double(), fc.constant(-1)),
        door: fc.constantFrom('open', 'closed', null),
        battery: fc.oneof(fc.double(), fc.integer({ min: -5, max: 105 }), fc.constant(null)),
        rssi: fc.oneof(fc.double(), fc.integer({ min: -250, max: 60 })),
        contact: fc.oneof(fc.boolean(), fc.constant('true')),
        tamper: fc.oneof(fc.boolean(), fc.constant(null)),
        linkquality: fc.nat(255),
        state: fc.constantFrom('online', 'offline', 'ON'),
      },
      { requiredKeys: [] },
    )
    .map((o) => Buffer.from(JSON.stringify(o))),
  fc
    .constantFrom(
      'online',
      'offline',
      'open',
      'close',
      'true',
      'false',
      '97',
      ' 97 ',
      '1e2',
      '-0',
      'NaN',
      '\u0000',
    )
    .map((t) => Buffer.from(t)),
);

const contextArb = fc.oneof(
  fc.constant(context()),
  fc.constant(bindEveryName('s-bound')),
  fc.constant(context({ 'front-door': 's-z01', 'shellydw2-8A1B2C': 's-sh01' })),
);

describe('every decoder, on arbitrary topics and payload bytes', () => {
  for (const decoder of DECODERS) {
    it(`${decoder.name}: never throws; returns well-formed SealMessages or a known RejectReason`, () => {
      fc.assert(
        fc.property(topicArb, payloadArb, contextArb, (topic, payload, ctx) => {
          expectValidResult(decoder.decode(topic, payload, ctx), decoder, RECEIVED_AT);
        }),
        { numRuns: 1500 },
      );
    });
  }
});
