import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activeQuarantine, coveringWindow, covers, isArmed } from '../../../registry/arming.ts';
import type { Quarantine, Window } from '../../../registry/schemas.ts';

const T0 = 1_700_000_000_000;
const H = 3_600_000;

const quarantine = (start: number, end: number | null, id = 'q1'): Quarantine => ({
  id,
  householdId: 'h1',
  start,
  end,
  createdAt: T0 - H,
});
const window = (start: number, end: number, id = 'w1'): Window => ({
  id,
  gridId: 'g1',
  householdId: null,
  start,
  end,
  reason: '上门核酸',
  by: 'worker-1',
  createdAt: T0 - H,
});

describe('covers: half-open [start, end)', () => {
  it('includes the start and excludes the end', () => {
    const i = { start: T0, end: T0 + H };
    expect(covers(i, T0 - 1)).toBe(false);
    expect(covers(i, T0)).toBe(true);
    expect(covers(i, T0 + H - 1)).toBe(true);
    expect(covers(i, T0 + H)).toBe(false);
  });

  it('an open end covers everything after the start', () => {
    expect(covers({ start: T0, end: null }, T0 + 1_000 * H)).toBe(true);
    expect(covers({ start: T0, end: null }, T0 - 1)).toBe(false);
  });
});

describe('isArmed', () => {
  const inputs = {
    quarantines: [quarantine(T0, T0 + 14 * 24 * H)],
    windows: [
      window(T0 + 8 * H, T0 + 9 * H),
      window(T0 + 9 * H, T0 + 10 * H, 'w2'),
      window(T0 + 12 * H, T0 + 13 * H, 'w3'),
    ],
  };

  it.each([
    ['before the quarantine', T0 - 1, false],
    ['at the quarantine start', T0, true],
    ['at a window start', T0 + 8 * H, false],
    ['inside back-to-back windows, at their seam', T0 + 9 * H, false],
    ['exactly at the end of the last back-to-back window: an open here is a breach', T0 + 10 * H, true],
    ['exactly at a window’s end', T0 + 13 * H, true],
    ['one ms before a window’s end', T0 + 13 * H - 1, false],
    ['exactly at the quarantine end', T0 + 14 * 24 * H, false],
  ])('%s → %s', (_name, at, armed) => {
    expect(isArmed(inputs, at)).toBe(armed);
  });

  it('names what covers the moment', () => {
    expect(activeQuarantine(inputs, T0)?.id).toBe('q1');
    expect(coveringWindow(inputs, T0 + 9 * H)?.id).toBe('w2');
    expect(coveringWindow(inputs, T0 + 10 * H)).toBeUndefined();
  });

  it('without a quarantine nothing is armed; an open-ended quarantine arms until a window', () => {
    expect(isArmed({ quarantines: [], windows: [] }, T0)).toBe(false);
    expect(isArmed({ quarantines: [quarantine(T0, null)], windows: [] }, T0 + 365 * 24 * H)).toBe(true);
  });

  it('agrees with a point-by-point model on small timelines', () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 20 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(interval, fc.boolean()), { maxLength: 3 }),
        fc.array(interval, { maxLength: 4 }),
        (qs, ws) => {
          const quarantines = qs.map(([[s, len], open], i) => quarantine(s, open ? null : s + len, `q${i}`));
          const windows = ws.map(([s, len], i) => window(s, s + len, `w${i}`));
          for (let at = -1; at <= 70; at++) {
            const inQ = quarantines.some((q) => q.start <= at && (q.end === null || at < q.end));
            const inW = windows.some((w) => w.start <= at && at < w.end);
            expect(isArmed({ quarantines, windows }, at)).toBe(inQ && !inW);
          }
        },
      ),
    );
  });
});
