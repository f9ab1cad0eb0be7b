import { describe, expect, it } from 'vitest';
import type { ArmingWindow } from '../../../alerting/alertModel.ts';
import { breachesAtWindowEnds, confirmPendingBreach, evaluateOpen } from '../../../alerting/rules/breach.ts';
import { arming, HOUR, household, MIN, seal, T0 } from './fixtures.ts';

const window: ArmingWindow = {
  id: 'w1',
  gridId: 'g-town',
  start: T0,
  end: T0 + HOUR,
  reason: '上门核酸',
  by: 'leader1',
};
const announcement = {
  householdId: 'h1',
  start: T0 + 2 * HOUR,
  end: T0 + 2 * HOUR + 10 * MIN,
  reason: '取药',
};
const base = { sensorId: 's1', commissioningUntil: null, active: null, policy: { graceSeconds: 0 } };

describe('evaluateOpen', () => {
  it.each([
    ['armed → critical breach at once', T0 - MIN, {}, 'raise'],
    ['inside a grid window → logged', T0 + 30 * MIN, {}, 'logOpen'],
    ['exactly at the window end → breach', T0 + HOUR, {}, 'raise'],
    ['inside an announcement → logged', T0 + 2 * HOUR + MIN, {}, 'logOpen'],
    ['at the announcement end → breach', T0 + 2 * HOUR + 10 * MIN, {}, 'raise'],
    [
      'unresolved breach → appended',
      T0 - MIN,
      { active: { id: 'a9', status: 'acknowledged', count: 1 } },
      'append',
    ],
    ['commissioning → nothing', T0 - MIN, { commissioningUntil: T0 + 10 * MIN }, null],
    ['commissioning ended exactly at the open → breach', T0 - MIN, { commissioningUntil: T0 - MIN }, 'raise'],
    ['grace → pending', T0 - MIN, { policy: { graceSeconds: 30 } }, 'pendingBreach'],
  ] as const)('%s', (_n, at, over, kind) => {
    const d = evaluateOpen({
      ...base,
      ...over,
      at,
      arming: arming({ windows: [window], announcements: [announcement] }),
    });
    expect(d?.kind ?? null).toBe(kind);
    if (d?.kind === 'raise') {
      expect(d.alert).toMatchObject({
        type: 'breach',
        severity: 'critical',
        sensorId: 's1',
        householdId: 'h1',
        gridId: 'g-group3',
        openedAt: at,
      });
    }
    if (d?.kind === 'append') expect(d.alertId).toBe('a9');
    if (d?.kind === 'pendingBreach') expect(d.dueAt).toBe(at + 30_000);
  });

  it('not under quarantine → logged, never alerted', () => {
    const d = evaluateOpen({ ...base, at: T0, arming: arming({ quarantines: [] }) });
    expect(d).toMatchObject({ kind: 'logOpen', why: 'notQuarantined' });
  });

  it('grace: raised at due time unless a window covering the open was recorded meanwhile', () => {
    const at = T0 - MIN;
    expect(confirmPendingBreach({ ...base, at, arming: arming() })?.kind).toBe('raise');
    const lateWindow: ArmingWindow = {
      householdId: 'h1',
      start: at - 1000,
      end: at + 10 * MIN,
      reason: 'ad hoc',
      by: 'w1',
    };
    expect(confirmPendingBreach({ ...base, at, arming: arming({ windows: [lateWindow] }) })).toBeNull();
  });
});

describe('breachesAtWindowEnds', () => {
  const common = {
    endedWindows: [window],
    quarantinesOf: () => arming().quarantines,
    windowsOf: () => [window],
    announcementsOf: () => [],
  };

  it('a door still open when the window ends is a breach at the end', () => {
    const seals = [{ state: seal({ door: 'open', lastDoorChange: T0 + 20 * MIN }), household, active: null }];
    const out = breachesAtWindowEnds({
      ...common,
      seals,
      lastSweepAt: T0 + HOUR - 5000,
      now: T0 + HOUR + 1000,
    });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      kind: 'raise',
      alert: { type: 'breach', openedAt: T0 + HOUR, detail: { cause: 'openAtWindowEnd', windowId: 'w1' } },
    });
  });

  it.each([
    ['closed door', seal({ door: 'closed' }), null, T0 + HOUR - 5000],
    [
      'opened after the end (the event path judged it)',
      seal({ door: 'open', lastDoorChange: T0 + HOUR }),
      null,
      T0 + HOUR - 5000,
    ],
    [
      'already has an unresolved breach',
      seal({ door: 'open', lastDoorChange: T0 }),
      { id: 'a1', status: 'open' as const, count: 1 },
      T0 + HOUR - 5000,
    ],
    [
      'end already handled by the previous sweep',
      seal({ door: 'open', lastDoorChange: T0 }),
      null,
      T0 + HOUR,
    ],
  ])('%s → nothing', (_n, state, active, lastSweepAt) => {
    const out = breachesAtWindowEnds({
      ...common,
      seals: [{ state, household, active }],
      lastSweepAt,
      now: T0 + HOUR + 1000,
    });
    expect(out).toEqual([]);
  });

  it('a window of another household or subtree does not apply; a second covering window keeps it quiet', () => {
    const state = seal({ door: 'open', lastDoorChange: T0 });
    const other: ArmingWindow = { ...window, gridId: 'g-elsewhere' };
    expect(
      breachesAtWindowEnds({
        ...common,
        endedWindows: [other],
        seals: [{ state, household, active: null }],
        lastSweepAt: T0,
        now: T0 + 2 * HOUR,
      }),
    ).toEqual([]);
    const next: ArmingWindow = {
      householdId: 'h1',
      start: T0 + 50 * MIN,
      end: T0 + 3 * HOUR,
      reason: '送餐',
      by: 'w',
    };
    expect(
      breachesAtWindowEnds({
        ...common,
        windowsOf: () => [window, next],
        seals: [{ state, household, active: null }],
        lastSweepAt: T0,
        now: T0 + 2 * HOUR,
      }),
    ).toEqual([]);
  });
});
