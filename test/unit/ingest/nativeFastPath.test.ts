import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { nativeEventSchema, nativeHeartbeatSchema } from '../../../contract/topics.ts';
import { eventFromBytes, heartbeatFromBytes } from '../../../ingest/decoders/nativeFastPath.ts';

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
    // What sensors send: whole numbers, or a decimal or two (a double's 17 digits the fast path leaves).
    fc.integer({ min: (min - 1) * 100, max: (max + 1) * 100 }).map((n) => n / 100),
    fc.integer({ min: min - 1, max: max + 1 }),
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
/** A heartbeat as a sensor sends it: every field in range, whole numbers or a decimal or two. */
const sensorHeartbeat = fc.record({
  ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(1_765_000_000_000)),
  seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  door: fc.constantFrom('open', 'closed'),
  battery: fc.oneof(
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 0, max: 1000 }).map((n) => n / 10),
  ),
  rssi: fc.oneof(
    fc.integer({ min: -120, max: 0 }),
    fc.integer({ min: -2000, max: 500 }).map((n) => n / 10),
  ),
});
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

/**
 * A number as JSON text, in one of the forms RFC 8259 §6 allows (https://www.rfc-editor.org/rfc/rfc8259#section-6:
 * `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`) or one it does not (a leading zero, a bare
 * fraction, a dangling point), so that the fast path must read it as JSON.parse does or leave it.
 */
const numberText = (v: number) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(JSON.stringify(v)) },
    fc.constantFrom(
      Number.isInteger(v) ? `${v}.0` : `${v}0`,
      v.toExponential(),
      `${v}`.replace(/^(-?)/, '$10'),
      `${v}`.replace(/^(-?)0\./, '$1.'),
      `${Math.trunc(v)}.`,
      Object.is(v, 0) ? '-0' : `${v}`,
      v.toFixed(2),
    ),
  );
/** Mostly none, else RFC 8259 §2's whitespace, and two characters it does not allow there. */
const space = fc.oneof(
  { weight: 30, arbitrary: fc.constant('') },
  { weight: 10, arbitrary: fc.constantFrom(' ', '\n', '\t', '\r\n  ') },
  fc.constantFrom('\u00a0', '\v'),
);

/** `value` as JSON text: members in any order, spaced anyhow, numbers written in any form. */
function textOf(value: Record<string, unknown>): fc.Arbitrary<string> {
  const members = Object.entries(value).map(([key, v]) =>
    fc
      .tuple(
        typeof v === 'number' ? numberText(v) : fc.constant(JSON.stringify(v)),
        space,
        space,
        fc.oneof(
          { weight: 20, arbitrary: fc.constant(JSON.stringify(key)) },
          fc.constant(`"${key.replace(/^./, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}"`),
        ),
      )
      .map(([text, before, after, name]) => `${before}${name}${after}:${before}${text}${after}`),
  );
  return fc
    .tuple(
      fc.shuffledSubarray(members, { minLength: members.length }),
      space,
      space,
      fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, fc.constant(true)),
    )
    .chain(([shuffled, outer, inner, repeat]) =>
      fc.tuple(...shuffled).map((parts) => {
        const all = repeat && parts.length > 0 ? [...parts, parts[0] as string] : parts;
        return `${outer}{${all.join(',')}${inner}}${outer}`;
      }),
    );
}

/** A payload's bytes, now and then one byte changed, dropped or added. */
const bytesOf = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(
      text,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('keep', 'keep', 'keep', 'keep', 'keep', 'keep', 'set', 'drop', 'add'),
    )
    .map(([t, at, byte, how]) => {
      const b = [...Buffer.from(t)];
      const i = b.length === 0 ? 0 : at % b.length;
      if (how === 'set') b[i] = byte;
      if (how === 'drop') b.splice(i, 1);
      if (how === 'add') b.splice(i, 0, byte);
      return Buffer.from(b);
    });

/** What the service did before the fast path, and does after it: JSON.parse, then the schema. */
function slowly<T>(schema: z.ZodType<T>, payload: Buffer): T | 'refused' {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'refused';
  }
  const result = schema.safeParse(value);
  return result.success ? result.data : 'refused';
}

// The fast path may leave any payload to JSON.parse and the schema (null), but what it reads must be
// JSON the schema accepts, with the same values (toEqual tells -0 from 0): otherwise it would let
// through what the contract refuses, or change a number.
describe('native payloads read from their bytes', () => {
  const cases = [
    ['heartbeat', fc.oneof(heartbeatLike, sensorHeartbeat), heartbeatFromBytes, nativeHeartbeatSchema],
    ['event', eventLike, eventFromBytes, nativeEventSchema],
  ] as const;
  it.each(cases)(
    'a %s the fast path reads is JSON the schema accepts, with the same values',
    (_, like, fast, schema) => {
      let read = 0;
      fc.assert(
        fc.property(bytesOf((like as fc.Arbitrary<Record<string, unknown>>).chain(textOf)), (payload) => {
          const quick = (fast as (b: Buffer) => unknown)(payload);
          if (quick === null) return;
          read++;
          expect(slowly(schema as z.ZodType<unknown>, payload)).toEqual(quick);
        }),
        { numRuns: 20_000 },
      );
      // The generated payloads reach the comparison, not only the fallback.
      console.log(read);
      expect(read).toBeGreaterThan(1000);
    },
  );

  it('reads the simulator’s payloads itself, and the same spaced out (the point of it)', () => {
    const hb = { ts: 1_700_000_000_000, seq: 7, door: 'closed', battery: 88.5, rssi: -61 };
    expect(heartbeatFromBytes(Buffer.from(JSON.stringify(hb)))).toEqual(hb);
    expect(heartbeatFromBytes(Buffer.from(JSON.stringify(hb, null, 2)))).toEqual(hb);
    // Python's json.dumps separators (", ", ": "), keys in another order.
    const python = '{"seq": 7, "ts": 1700000000000, "rssi": -61, "battery": 88.5, "door": "closed"}';
    expect(heartbeatFromBytes(Buffer.from(python))).toEqual(hb);
    const ev = { type: 'open', ts: 1_700_000_000_000, seq: 0xffff_ffff };
    expect(eventFromBytes(Buffer.from(JSON.stringify(ev)))).toEqual(ev);
  });

  it('reads a number digit by digit only while that is exact (Clinger’s fast path)', () => {
    const hb = (battery: string, ts = '1') =>
      Buffer.from(`{"ts":${ts},"seq":1,"door":"open","battery":${battery},"rssi":-1}`);
    // 2^53 - 1, sixteen digits: exact, read here.
    expect(heartbeatFromBytes(hb('1', '9007199254740991'))?.ts).toBe(Number.MAX_SAFE_INTEGER);
    expect(heartbeatFromBytes(hb('88.12445472108132'))?.battery).toBe(88.12445472108132);
    // Seventeen digits, read digit by digit and divided, round twice and miss by one unit in the last
    // place (88.1244547210813 against JSON.parse's 88.12445472108132): left to JSON.parse.
    for (const battery of ['88.124454721081327', '75.544593625113965', '12.036146344334509']) {
      expect(heartbeatFromBytes(hb(battery))).toBeNull();
      expect(slowly(nativeHeartbeatSchema, hb(battery))).toMatchObject({ battery: Number(battery) });
    }
  });

  it('leaves what it does not certainly read to JSON.parse and the schema', () => {
    const hb = '"ts":1,"seq":1,"door":"open","battery":1';
    for (const text of [
      `{${hb},"rssi":1,"extra":1}`,
      `{${hb}}`,
      `{${hb},"rssi":1,"rssi":2}`,
      `{${hb},"__proto__":1}`,
      `{${hb},"rssi":1e1}`,
      `{${hb},"rssi":01}`,
      `{${hb},"rssi":1.}`,
      `{${hb},"rssi":1234567890123456}`,
      `{${hb},"rssi":1}x`,
      `{${hb},"rssi":1`,
      `{${hb},"r\\u0073si":1}`,
      `[{${hb},"rssi":1}]`,
      `\ufeff{${hb},"rssi":1}`,
      '',
    ])
      expect(heartbeatFromBytes(Buffer.from(text)), text).toBeNull();
    expect(eventFromBytes(Buffer.from('{"type":"open","ts":1}'))).toBeNull();
    expect(eventFromBytes(Buffer.from('{"type":"OPEN","ts":1,"seq":1}'))).toBeNull();
  });
});
