import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../../core/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    [' 5m ', 300_000],
    ['0s', 0],
  ])('%s → %d', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '5 m', '5min', '-5s', '+5s', '5S', '.5s', '5.s', '1e3ms', '0x10s', '5m5s'])(
    '%s is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('never throws and returns null or a finite non-negative integer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        const ms = parseDuration(text);
        if (ms !== null) {
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('round-trips through formatDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('formats whole units with the largest unit', () => {
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(500)).toBe('500ms');
  });
});

describe('duration bound', () => {
  it('refuses durations longer than a week: timers cannot hold them', () => {
    expect(parseDuration('7d')).toBe(MAX_DURATION_MS);
    expect(parseDuration('8d')).toBeNull();
    expect(parseDuration('30d')).toBeNull();
  });
});
