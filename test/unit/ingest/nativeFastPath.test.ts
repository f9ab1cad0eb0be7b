import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeEventSchema, nativeHeartbeatSchema } from '../../../contract/topics.ts';
import { fastEvent, fastHeartbeat } from '../../../ingest/decoders/nativeFastPath.ts';

/** Values near every bound of the schemas, and of the wrong types. */
const anything = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.5, 100, 100.5, -200, -200.5, 50, 51, 0xffff_ffff, 0x1_0000_0000),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1e300, 1_700_000_000_000),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('1', null, true, [], {}),
);
/** Mostly a value near the field's bounds, sometimes anything at all. */
const field = (near: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 4, arbitrary: near }, { weight: 1, arbitrary: anything });
const around = (min: number, max: number) =>
  fc.oneof(
    fc.double({ min: min - 1, max: max + 1, noNaN: true }),
    fc.constantFrom(min, max, min - 0.5, max + 0.5),
  );
const counter = fc.oneof(
  fc.integer({ min: -2, max: 2 ** 32 + 1 }),
  fc.constantFrom(0.5, 2 ** 32 - 1, 2 ** 32),
);
/** Now and then a key missing or one too many. */
const withOddKeys = (value: Record<string, unknown>, drop: number, extra: boolean) => {
  const keys = Object.keys(value);
  const out = { ...value };
  if (drop < keys.length) delete out[keys[drop] as string];
  if (extra) out.extra = 1;
  return out;
};
const heartbeatLike = fc
  .tuple(
    fc.record({
      ts: field(fc.oneof(fc.integer({ min: -1, max: 2 ** 31 }), fc.constant(Number.MAX_SAFE_INTEGER + 1))),
      seq: field(counter),
      door: fc.constantFrom('open', 'closed', 'close', 'OPEN', null),
      battery: field(around(0, 100)),
      rssi: field(around(-200, 50)),
    }),
    fc.integer({ min: 0, max: 20 }),
    fc.boolean(),
  )
  .map(([value, drop, extra]) => withOddKeys(value, drop, extra && drop % 3 === 0));
const eventLike = fc
  .tuple(
    fc.record({
      type: fc.constantFrom('open', 'close', 'tamper', 'closed', 7),
      ts: field(fc.integer({ min: -1, max: 2 ** 31 })),
      seq: field(counter),
    }),
    fc.integer({ min: 0, max: 12 }),
    fc.boolean(),
  )
  .map(([value, drop, extra]) => withOddKeys(value, drop, extra && drop % 3 === 0));

// The fast path may leave any payload to the schema (null), but what it accepts the schema must
// accept with the same data: otherwise it would let through what the contract refuses.
describe('native payloads without zod', () => {
  const cases = [
    ['heartbeat', heartbeatLike, fastHeartbeat, nativeHeartbeatSchema],
    ['event', eventLike, fastEvent, nativeEventSchema],
  ] as const;
  it.each(cases)(
    'a %s the fast path reads is one the schema accepts, with the same values',
    (_, like, fast, schema) => {
      fc.assert(
        fc.property(like as fc.Arbitrary<unknown>, (value) => {
          const viaJson = JSON.parse(JSON.stringify(value)) as unknown;
          const read = fast(viaJson);
          if (read !== null) expect(schema.safeParse(viaJson)).toEqual({ success: true, data: read });
        }),
        { numRuns: 5000 },
      );
    },
  );

  it('reads the simulator’s payloads itself (the point of it)', () => {
    const hb = { ts: 1_700_000_000_000, seq: 7, door: 'closed', battery: 88.5, rssi: -61 };
    expect(fastHeartbeat(JSON.parse(JSON.stringify(hb)))).toEqual(hb);
    const ev = { type: 'open', ts: 1_700_000_000_000, seq: 0xffff_ffff };
    expect(fastEvent(JSON.parse(JSON.stringify(ev)))).toEqual(ev);
  });

  it('leaves extra keys, missing keys and non-objects to the schema', () => {
    const hb = { ts: 1, seq: 1, door: 'open', battery: 1, rssi: 1 };
    expect(fastHeartbeat({ ...hb, extra: 1 })).toBeNull();
    expect(fastHeartbeat(JSON.parse('{"ts":1,"seq":1,"door":"open","battery":1,"__proto__":1}'))).toBeNull();
    expect(fastHeartbeat([hb])).toBeNull();
    expect(fastHeartbeat(null)).toBeNull();
    expect(fastEvent({ type: 'open', ts: 1 })).toBeNull();
  });
});
