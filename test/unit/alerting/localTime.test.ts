import { describe, expect, it } from 'vitest';
import { formatLocalTime, localDayKey, localDayStart } from '../../../alerting/localTime.ts';
import { T0 } from './fixtures.ts';

describe('local time in TZ_LOCAL, independent of the process zone', () => {
  it.each([
    ['Asia/Shanghai', T0, '2026-01-10 10:00:00', '2026-01-10', Date.UTC(2026, 0, 9, 16)],
    ['UTC', T0, '2026-01-10 02:00:00', '2026-01-10', Date.UTC(2026, 0, 10)],
    ['America/New_York', T0, '2026-01-09 21:00:00', '2026-01-09', Date.UTC(2026, 0, 9, 5)],
    // DST starts 2026-03-08 in New York: local midnight is still at -05:00.
    [
      'America/New_York',
      Date.UTC(2026, 2, 8, 18),
      '2026-03-08 14:00:00',
      '2026-03-08',
      Date.UTC(2026, 2, 8, 5),
    ],
  ])('%s %s', (tz, ts, text, day, midnight) => {
    expect(formatLocalTime(ts, tz)).toBe(text);
    expect(localDayKey(ts, tz)).toBe(day);
    expect(localDayStart(ts, tz)).toBe(midnight);
  });
});
