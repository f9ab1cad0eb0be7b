import { describe, expect, it } from 'vitest';
import { countOpen, evaluateOpenCount } from '../../../alerting/rules/openCount.ts';
import { household } from './fixtures.ts';

const TZ = 'Asia/Shanghai';
/** Local midnight 2026-01-11 00:00 in Shanghai is 2026-01-10 16:00 UTC. */
const MIDNIGHT = Date.UTC(2026, 0, 10, 16, 0, 0);

describe('opens per day, local day in TZ_LOCAL', () => {
  it.each([
    ['one ms before local midnight belongs to the old day', MIDNIGHT - 1, { dayKey: '2026-01-10', count: 6 }],
    ['exactly local midnight starts a new day', MIDNIGHT, { dayKey: '2026-01-11', count: 1 }],
    [
      'UTC midnight is 08:00 local: same local day',
      Date.UTC(2026, 0, 11, 0, 0, 0),
      { dayKey: '2026-01-11', count: 1 },
    ],
  ])('%s', (_n, at, expected) => {
    expect(countOpen({ dayKey: '2026-01-10', count: 5 }, at, TZ)).toEqual(expected);
  });

  it('a late open dated yesterday leaves today’s count alone', () => {
    const today = { dayKey: '2026-01-11', count: 2 };
    expect(countOpen(today, MIDNIGHT - 1000, TZ)).toBe(today);
  });

  it('the limit is per policy: the (max+1)-th open raises, later ones append; rollover resets', () => {
    const policy = { maxOpensPerDay: 5 };
    const at = MIDNIGHT - 1;
    const base = { household, sensorId: 's1', at, policy };
    expect(evaluateOpenCount({ ...base, counter: { dayKey: 'd', count: 5 }, active: null })).toBeNull();
    expect(evaluateOpenCount({ ...base, counter: { dayKey: 'd', count: 6 }, active: null })?.kind).toBe(
      'raise',
    );
    expect(
      evaluateOpenCount({
        ...base,
        counter: { dayKey: 'd', count: 7 },
        active: { id: 'c1', status: 'open', count: 1 },
      }),
    ).toMatchObject({ kind: 'append', alertId: 'c1' });
    const afterMidnight = countOpen({ dayKey: '2026-01-10', count: 9 }, MIDNIGHT + 1, TZ);
    expect(evaluateOpenCount({ ...base, counter: afterMidnight, active: null })).toBeNull();
  });
});
