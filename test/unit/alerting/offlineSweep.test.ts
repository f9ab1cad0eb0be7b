import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { evaluateOfflineSweep, type SilentSensorView } from '../../../alerting/rules/offline.ts';
import { detectOutages } from '../../../alerting/rules/outage.ts';
import { HOUR, MIN, T0 } from './fixtures.ts';

const path = (group: string) => ['county', 'town', 'village', group];

function silentSensors(
  n: number,
  group: string,
  lastSeen: (i: number) => number,
  over: Partial<SilentSensorView> = {},
): SilentSensorView[] {
  return Array.from({ length: n }, (_, i) => ({
    sensorId: `${group}-${i}`,
    householdId: `h-${group}-${i}`,
    gridPath: path(group),
    lastSeen: lastSeen(i),
    deadline: lastSeen(i) + 3 * MIN,
    monitored: true,
    activeOffline: null,
    ...over,
  }));
}

/** Monitored sensor counts per node. */
function counts(c: Record<string, number>) {
  return (id: string) => c[id] ?? 0;
}

describe('outage thresholds', () => {
  it.each([
    ['4 of 8 silent: half, but fewer than 5 → no outage', 4, 8, false],
    ['5 of 10 silent: half and 5 → outage', 5, 10, true],
    ['5 of 11 silent: fewer than half → no outage', 5, 11, false],
    ['6 of 6 silent → outage', 6, 6, true],
  ])('%s', (_n, silent, monitored, expected) => {
    const s = silentSensors(silent, 'g1', (i) => T0 + i * 1000);
    const out = detectOutages(
      s,
      counts({ g1: monitored, village: 100, town: 1000, county: 10000 }),
      DEFAULT_POLICY,
    );
    expect(out.map((o) => o.nodeId)).toEqual(expected ? ['g1'] : []);
  });

  it('they must fall silent within one interval of each other', () => {
    const spread = silentSensors(6, 'g1', (i) => T0 + i * 20_000); // 0..100 s: at most 4 within 60 s
    expect(detectOutages(spread, counts({ g1: 6 }), DEFAULT_POLICY)).toEqual([]);
    const together = silentSensors(6, 'g1', (i) => T0 + i * 12_000); // 0..60 s inclusive
    expect(detectOutages(together, counts({ g1: 6 }), DEFAULT_POLICY)).toHaveLength(1);
  });

  it('silence across two groups is one outage at the village that holds both', () => {
    const s = [...silentSensors(5, 'g1', () => T0), ...silentSensors(5, 'g2', () => T0)];
    const c = counts({ g1: 5, g2: 5, village: 12, town: 500, county: 5000 });
    expect(detectOutages(s, c, DEFAULT_POLICY).map((o) => o.nodeId)).toEqual(['village']);
  });

  it('a gateway’s ten seals in one group: the outage is at the group, even when the nodes above qualify too', () => {
    const s = silentSensors(10, 'g1', () => T0);
    const c = counts({ g1: 10, g2: 2, village: 12, town: 12, county: 12 });
    expect(detectOutages(s, c, DEFAULT_POLICY).map((o) => o.nodeId)).toEqual(['g1']);
  });
});

describe('evaluateOfflineSweep', () => {
  const base = { activeOutages: new Map(), policy: DEFAULT_POLICY };

  it('an outage holds back the individual offline alerts it explains', () => {
    const silent = silentSensors(5, 'g1', (i) => T0 + i * 10_000);
    const now = T0 + 10 * MIN;
    const ds = evaluateOfflineSweep({
      ...base,
      now,
      silent,
      monitoredUnder: counts({ g1: 10, village: 100, town: 1000, county: 9000 }),
    });
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({
      kind: 'raise',
      alert: { type: 'outage', gridId: 'g1', severity: 'critical', detail: { silent: 5, monitored: 10 } },
    });
  });

  it('4 of 8 → no outage: each sensor gets its own offline alert once its hold has passed', () => {
    const silent = silentSensors(4, 'g1', () => T0);
    const monitoredUnder = counts({ g1: 8, village: 100, town: 1000, county: 9000 });
    const beforeHold = evaluateOfflineSweep({ ...base, now: T0 + 3 * MIN + MIN - 1, silent, monitoredUnder });
    expect(beforeHold).toEqual([]);
    const ds = evaluateOfflineSweep({ ...base, now: T0 + 4 * MIN, silent, monitoredUnder });
    expect(ds.map((d) => (d.kind === 'raise' ? `${d.alert.type}:${d.alert.sensorId}` : d.kind))).toEqual([
      'offline:g1-0',
      'offline:g1-1',
      'offline:g1-2',
      'offline:g1-3',
    ]);
    expect(ds[0]).toMatchObject({
      alert: { severity: 'warning', gridId: 'g1', householdId: 'h-g1-0', detail: { lastSeen: T0 } },
    });
  });

  it('no offline alert before raiseNotBefore (the start-up grace): a restart may have split a group that an outage will still gather', () => {
    const silent = silentSensors(4, 'g1', () => T0);
    const monitoredUnder = counts({ g1: 8, village: 100, town: 1000, county: 9000 });
    const during = evaluateOfflineSweep({
      ...base,
      now: T0 + 10 * MIN,
      silent,
      monitoredUnder,
      raiseNotBefore: T0 + 10 * MIN + 1,
    });
    expect(during).toEqual([]);
    const after = evaluateOfflineSweep({
      ...base,
      now: T0 + 10 * MIN + 1,
      silent,
      monitoredUnder,
      raiseNotBefore: T0 + 10 * MIN + 1,
    });
    expect(after).toHaveLength(4);
  });

  it('no duplicate offline alert, nothing for unmonitored (commissioning / no quarantine) sensors', () => {
    const silent = [
      ...silentSensors(1, 'g1', () => T0, { activeOffline: { id: 'o1', status: 'open', count: 1 } }),
      ...silentSensors(1, 'g2', () => T0, { monitored: false }),
    ];
    expect(
      evaluateOfflineSweep({ ...base, now: T0 + HOUR, silent, monitoredUnder: counts({ g1: 10, g2: 10 }) }),
    ).toEqual([]);
  });

  it('an outage ends when the node no longer qualifies; sensors still silent then get their own alerts', () => {
    const activeOutages = new Map([['g1', { id: 'out1', status: 'open' as const, count: 1 }]]);
    const silent = silentSensors(2, 'g1', () => T0);
    const ds = evaluateOfflineSweep({
      ...base,
      activeOutages,
      now: T0 + 20 * MIN,
      silent,
      monitoredUnder: counts({ g1: 10 }),
    });
    expect(ds.map((d) => d.kind)).toEqual(['resolve', 'raise', 'raise']);
    expect(ds[0]).toMatchObject({ alertId: 'out1', reason: 'outageOver' });
  });

  it('an open outage above covers new qualifying nodes below it', () => {
    const activeOutages = new Map([['village', { id: 'out1', status: 'open' as const, count: 1 }]]);
    const silent = silentSensors(6, 'g1', () => T0);
    const ds = evaluateOfflineSweep({
      ...base,
      activeOutages,
      now: T0 + 20 * MIN,
      silent,
      monitoredUnder: counts({ g1: 6, village: 10 }),
    });
    expect(ds).toEqual([]);
  });
});

describe('offline and outage per sensor model', () => {
  it('silence is grouped by each sensor’s own interval: hourly sensors heard within the hour before a cut join it', () => {
    const cut = T0 + 10 * HOUR;
    const minuteSeals = silentSensors(3, 'g1', () => cut - 30_000);
    const hourly = silentSensors(3, 'g1', (i) => cut - (i + 1) * 15 * MIN, { intervalMs: HOUR });
    const out = detectOutages([...minuteSeals, ...hourly], counts({ g1: 6 }), DEFAULT_POLICY);
    expect(out.map((o) => o.sensorIds.length)).toEqual([6]);
    // With the generic interval for all, the hourly ones would not have fallen silent together.
    const generic = hourly.map(({ intervalMs: _, ...s }) => s);
    expect(detectOutages([...minuteSeals, ...generic], counts({ g1: 6 }), DEFAULT_POLICY)).toEqual([]);
  });

  it('a sensor’s own alert waits one of its intervals for an outage, at most an hour', () => {
    const at = T0 + 100 * HOUR;
    const view = (intervalMs: number): SilentSensorView[] =>
      silentSensors(1, `i${intervalMs}`, () => at - 2 * intervalMs, { deadline: at, intervalMs });
    const raised = (s: SilentSensorView[], now: number) =>
      evaluateOfflineSweep({
        now,
        silent: s,
        monitoredUnder: () => 100,
        activeOutages: new Map(),
        policy: DEFAULT_POLICY,
      }).length;
    expect(raised(view(10 * MIN), at + 10 * MIN - 1)).toBe(0);
    expect(raised(view(10 * MIN), at + 10 * MIN)).toBe(1);
    expect(raised(view(18 * HOUR), at + HOUR - 1)).toBe(0);
    expect(raised(view(18 * HOUR), at + HOUR)).toBe(1);
  });
});
