import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerting/alertModel.ts';
import { computeDailyReport, percentile, renderDailyReport } from '../../../alerting/dailyReport.ts';
import { createDailyReportSchedule } from '../../../alerting/dailyReportSchedule.ts';
import { HOUR, MIN, T0 } from './fixtures.ts';

const nodes = [
  { id: 'county', name: '曲沃县', parentId: null },
  { id: 'town', name: '史村镇', parentId: 'county' },
  { id: 'v1', name: '东村', parentId: 'town' },
  { id: 'v2', name: '西村', parentId: 'town' },
  { id: 'other', name: '别镇', parentId: 'county' },
];

function alert(over: Partial<Alert>): Alert {
  return {
    id: 'a',
    type: 'breach',
    gridId: 'v1',
    severity: 'critical',
    status: 'open',
    assignee: 'w',
    openedAt: T0,
    count: 1,
    escalationLevel: 0,
    ...over,
  };
}

describe('daily report', () => {
  const from = T0 - 24 * HOUR;
  const to = T0;
  const alerts: Alert[] = [
    alert({
      id: 'b1',
      openedAt: T0 - 10 * HOUR,
      ackedAt: T0 - 10 * HOUR + 2 * MIN,
      status: 'resolved',
      outcome: 'visited',
    }),
    alert({
      id: 'b2',
      openedAt: T0 - 9 * HOUR,
      ackedAt: T0 - 9 * HOUR + 4 * MIN,
      status: 'resolved',
      outcome: 'falseAlarm',
      gridId: 'v2',
    }),
    alert({
      id: 'b3',
      openedAt: T0 - 8 * HOUR,
      resolvedAt: T0 - 8 * HOUR + 10 * MIN,
      status: 'resolved',
      outcome: 'violationConfirmed',
    }),
    alert({ id: 'b4', openedAt: T0 - HOUR, status: 'open' }),
    alert({
      id: 'o1',
      type: 'offline',
      severity: 'warning',
      openedAt: T0 - 2 * HOUR,
      status: 'resolved',
      resolvedAt: T0 - HOUR,
      autoResolveReason: 'backOnline',
    }),
    alert({ id: 'lb', type: 'lowBattery', severity: 'maintenance', openedAt: T0 - 2 * HOUR, ackedAt: T0 }),
    alert({ id: 'x', gridId: 'other', openedAt: T0 - HOUR }),
    alert({ id: 'old', openedAt: from - 1 }),
  ];
  const input = {
    rootId: 'town',
    nodes,
    households: [
      { id: 'h1', gridId: 'v1', sealed: true },
      { id: 'h2', gridId: 'v2', sealed: true },
      { id: 'h3', gridId: 'v2', sealed: false },
      { id: 'h4', gridId: 'other', sealed: true },
    ],
    alerts,
    stillOpen: [
      alert({ id: 'b4', openedAt: T0 - HOUR }),
      alert({ id: 'old-open', openedAt: T0 - 50 * HOUR, gridId: 'v2' }),
      alert({ id: 'x', gridId: 'other' }),
    ],
    offlineSensors: [{ sensorId: 's9', gridId: 'v2', since: T0 - HOUR }],
    from,
    to,
  };

  it('computes the numbers for the subtree only', () => {
    const r = computeDailyReport(input);
    expect(r.rootPath).toEqual(['曲沃县', '史村镇']);
    expect(r.sealedHouseholds).toBe(2);
    expect(r.breaches).toEqual({
      total: 4,
      byOutcome: { visited: 1, falseAlarm: 1, violationConfirmed: 1, sensorFault: 0, unresolved: 1 },
    });
    expect(r.alertsByType).toMatchObject({ breach: 4, offline: 1, lowBattery: 1 });
    expect(r.offlineSensors).toBe(1);
    // 2, 4, 10 min (maintenance and auto-resolved left out).
    expect(r.timeToAck).toEqual({ count: 3, medianMs: 4 * MIN, p90Ms: 10 * MIN, maxMs: 10 * MIN });
    expect(r.stillOpen.count).toBe(2);
    expect(r.stillOpen.oldest.map((a) => a.id)).toEqual(['old-open', 'b4']);
    expect(r.byChild).toEqual([
      { nodeId: 'v1', name: '东村', sealed: 1, breaches: 3, offline: 0, open: 1 },
      { nodeId: 'v2', name: '西村', sealed: 1, breaches: 1, offline: 1, open: 1 },
    ]);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([7], 0.9)).toBe(7);
  });

  it('renders zh-CN and en, text and escaped HTML', () => {
    const r = computeDailyReport({
      ...input,
      nodes: nodes.map((n) => (n.id === 'v1' ? { ...n, name: '<img src=x onerror=alert(1)>' } : n)),
    });
    const zh = renderDailyReport(r, 'zh-CN', 'Asia/Shanghai');
    expect(zh.subject).toBe('门磁监测日报 · 史村镇 · 2026-01-10');
    expect(zh.text).toContain('开门告警: 4');
    expect(zh.text).toContain('中位数 4.0 分钟');
    expect(zh.html).not.toContain('<img');
    const en = renderDailyReport(r, 'en', 'Asia/Shanghai');
    expect(en.text).toContain('Sealed households: 2');
    expect(en.text).toContain('Period: 2026-01-09 10:00:00 to 2026-01-10 10:00:00');
  });
});

describe('daily report schedule', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it('fires at 08:00 in TZ_LOCAL (00:00 UTC for Asia/Shanghai)', async () => {
    const s = createDailyReportSchedule('0 8 * * *', 'Asia/Shanghai', async () => {});
    stop = s.stop;
    const next = s.nextRun();
    expect(next).not.toBeNull();
    expect(next!.getUTCHours()).toBe(0);
    expect(next!.getUTCMinutes()).toBe(0);
  });

  it('rejects a bad expression', () => {
    expect(() => createDailyReportSchedule('61 8 * * *', 'Asia/Shanghai', async () => {})).toThrow(
      RangeError,
    );
  });
});
