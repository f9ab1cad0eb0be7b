import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDuplicate, RECENT_WINDOW, remember, rememberInPlace, trimWindow } from '../../../ingest/dedup.ts';

const T0 = 1_700_000_000_000;

describe('dedup', () => {
  it('a duplicate has the same seq AND the same ts', () => {
    const recent = remember(remember([], 7, T0), 8, T0 + 60_000);
    expect(isDuplicate(recent, 7, T0)).toBe(true);
    expect(isDuplicate(recent, 8, T0 + 60_000)).toBe(true);
    expect(isDuplicate(recent, 7, T0 + 1)).toBe(false);
    expect(isDuplicate(recent, 9, T0)).toBe(false);
  });

  it('a rebooted sensor restarting seq at 0 with a new ts is not a duplicate', () => {
    let recent: number[] = [];
    for (let seq = 0; seq < 5; seq++) recent = remember(recent, seq, T0 + seq * 60_000);
    const afterReboot = T0 + 3_600_000;
    expect(isDuplicate(recent, 0, afterReboot)).toBe(false);
    recent = remember(recent, 0, afterReboot);
    expect(isDuplicate(recent, 0, afterReboot)).toBe(true);
  });

  it('messages without a seq are never duplicates and are not remembered', () => {
    const recent = remember([1, T0], null, T0);
    expect(recent).toEqual([1, T0]);
    expect(isDuplicate(recent, null, T0)).toBe(false);
  });

  it('keeps the last RECENT_WINDOW pairs and forgets older ones', () => {
    let recent: number[] = [];
    for (let seq = 0; seq <= RECENT_WINDOW; seq++) recent = remember(recent, seq, T0 + seq);
    expect(recent).toHaveLength(RECENT_WINDOW * 2);
    expect(isDuplicate(recent, 0, T0)).toBe(false);
    expect(isDuplicate(recent, 1, T0 + 1)).toBe(true);
    expect(isDuplicate(recent, RECENT_WINDOW, T0 + RECENT_WINDOW)).toBe(true);
  });

  it('does not mutate the list it is given, full or not', () => {
    const recent = Object.freeze([1, T0]) as readonly number[];
    expect(remember(recent, 2, T0 + 1)).toEqual([1, T0, 2, T0 + 1]);
    const full = Object.freeze(Array.from({ length: RECENT_WINDOW }, (_, i) => [i, T0 + i]).flat());
    const next = remember(full, RECENT_WINDOW, T0 + RECENT_WINDOW);
    expect(next.slice(0, 2)).toEqual([1, T0 + 1]);
    expect(next.slice(-2)).toEqual([RECENT_WINDOW, T0 + RECENT_WINDOW]);
    expect(full.slice(0, 2)).toEqual([0, T0]);
  });

  it('remembers exactly the last RECENT_WINDOW (seq, ts) pairs of any stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(0xffff_ffff), fc.maxSafeNat()), { maxLength: 3 * RECENT_WINDOW }),
        fc.tuple(fc.nat(0xffff_ffff), fc.maxSafeNat()),
        (stream, probe) => {
          let recent: number[] = [];
          for (const [seq, ts] of stream) recent = remember(recent, seq, ts);
          const kept = stream.slice(-RECENT_WINDOW);
          expect(recent).toEqual(kept.flat());
          const seen = kept.some(([s, t]) => s === probe[0] && t === probe[1]);
          expect(isDuplicate(recent, probe[0], probe[1])).toBe(seen);
        },
      ),
    );
  });
});

describe('rememberInPlace and trimWindow: a commit group growing the window it copied', () => {
  it('give the same window as remember, in the array they were given', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(fc.nat(0xffff_ffff)), fc.maxSafeNat()), { maxLength: 3 * RECENT_WINDOW }),
        fc.array(fc.tuple(fc.nat(0xffff_ffff), fc.maxSafeNat()), { maxLength: RECENT_WINDOW }),
        (stream, start) => {
          let copied: number[] = start.flat();
          const own: number[] = start.flat();
          for (const [seq, ts] of stream) {
            copied = remember(copied, seq, ts);
            expect(rememberInPlace(own, seq, ts)).toBe(own);
          }
          trimWindow(own);
          expect(own).toEqual(copied);
        },
      ),
    );
  });
});
