import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampTimestamp, MAX_FUTURE_MS, MAX_PAST_MS } from '../../../ingest/clampTimestamp.ts';

const NOW = 1_700_000_000_000;

describe('clampTimestamp', () => {
  it.each([
    ['now', NOW, false],
    ['a second ago', NOW - 1_000, false],
    ['exactly 60 s ahead', NOW + MAX_FUTURE_MS, false],
    ['60 s + 1 ms ahead', NOW + MAX_FUTURE_MS + 1, true],
    ['exactly 24 h ago', NOW - MAX_PAST_MS, false],
    ['24 h + 1 ms ago', NOW - MAX_PAST_MS - 1, true],
    ['1970 (a sensor that booted without a clock)', 0, true],
    ['next year', NOW + 365 * 86_400_000, true],
  ])('%s', (_name, ts, clamped) => {
    expect(clampTimestamp(ts, NOW)).toEqual({ ts: clamped ? NOW : ts, clamped });
  });

  it('always lands within [receivedAt − 24 h, receivedAt + 60 s], changing ts only when clamped', () => {
    fc.assert(
      fc.property(
        fc.maxSafeNat(),
        fc.integer({ min: MAX_PAST_MS, max: 4_000_000_000_000 }),
        (ts, receivedAt) => {
          const r = clampTimestamp(ts, receivedAt);
          expect(r.ts).toBeGreaterThanOrEqual(receivedAt - MAX_PAST_MS);
          expect(r.ts).toBeLessThanOrEqual(receivedAt + MAX_FUTURE_MS);
          expect(r.clamped ? r.ts === receivedAt : r.ts === ts).toBe(true);
        },
      ),
    );
  });
});
