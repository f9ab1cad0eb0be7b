import { describe, expect, it } from 'vitest';
import { computeDailyReport } from '../../../alerting/dailyReport.ts';
import { reportCsv, reportTable } from '../../../alerting/dailyReportFiles.ts';
import { dayBounds, isReportDay, previousDay } from '../../../alerting/dailyReportPeriod.ts';
import { lastDueAt } from '../../../alerting/dailyReportSchedule.ts';
import { robotSummaryView } from '../../../alerting/dailyReportSummary.ts';

describe('the daily report’s local day', () => {
  it('is midnight to midnight in TZ_LOCAL, 23 or 25 hours on DST days', () => {
    expect(dayBounds('2026-12-04', 'Asia/Shanghai')).toEqual({
      from: Date.parse('2026-12-03T16:00:00Z'),
      to: Date.parse('2026-12-04T16:00:00Z'),
    });
    const spring = dayBounds('2026-03-29', 'Europe/Berlin');
    expect(spring.from).toBe(Date.parse('2026-03-28T23:00:00Z'));
    expect(spring.to - spring.from).toBe(23 * 3_600_000);
    const autumn = dayBounds('2026-10-25', 'Europe/Berlin');
    expect(autumn.to - autumn.from).toBe(25 * 3_600_000);
  });

  it('accepts only real calendar days written YYYY-MM-DD', () => {
    expect(isReportDay('2028-02-29')).toBe(true);
    for (const bad of ['2026-02-29', '2026-13-01', '2026-1-05', 'yesterday', '2026-12-04T00:00'])
      expect(isReportDay(bad), bad).toBe(false);
    expect(previousDay('2027-01-01')).toBe('2026-12-31');
    expect(previousDay('2028-03-01')).toBe('2028-02-29');
  });

  it('knows when the schedule was last due: the catch-up compares it with the archive', () => {
    const at = (iso: string) => Date.parse(iso);
    // 09:00 in Shanghai: 08:00 today was due.
    expect(lastDueAt('0 8 * * *', 'Asia/Shanghai', at('2026-12-05T01:00:30Z'))).toBe(
      at('2026-12-05T00:00:00Z'),
    );
    // 07:59: yesterday's 08:00.
    expect(lastDueAt('0 8 * * *', 'Asia/Shanghai', at('2026-12-04T23:59:00Z'))).toBe(
      at('2026-12-04T00:00:00Z'),
    );
    // Weekly, Mondays.
    expect(lastDueAt('0 8 * * 1', 'Asia/Shanghai', at('2026-12-09T00:00:00Z'))).toBe(
      at('2026-12-07T00:00:00Z'),
    );
    expect(lastDueAt('0 8 1 1 *', 'Asia/Shanghai', at('2026-12-09T00:00:00Z'))).toBeNull();
  });
});

describe('the daily report’s table and robot summary', () => {
  const report = computeDailyReport({
    rootId: 'town',
    nodes: [
      { id: 'county', name: '县', parentId: null },
      { id: 'town', name: '镇', parentId: 'county' },
      { id: 'v1', name: '东村', parentId: 'town' },
      { id: 'v2', name: '西村', parentId: 'town' },
    ],
    households: [
      { id: 'h1', gridId: 'v1', sealed: true },
      { id: 'h2', gridId: 'town', sealed: true },
    ],
    alerts: [],
    stillOpen: [],
    offlineSensors: [{ sensorId: 's1', gridId: 'v2', since: 0 }],
    from: 0,
    to: 86_400_000,
  });

  it('has a row per child and a total with the node’s own numbers (a household on the node itself too)', () => {
    const { headers, rows } = reportTable(report, 'zh-CN');
    expect(headers[0]).toBe('网格');
    expect(rows).toEqual([
      ['东村', 1, 0, 0, 0],
      ['西村', 0, 0, 1, 0],
      ['合计（镇）', 2, 0, 1, 0],
    ]);
    expect(reportCsv(report, 'en').startsWith('\ufeffArea,Sealed households,')).toBe(true);
  });

  it('the robot summary names the node and day and lists only child nodes with something to see', () => {
    const view = robotSummaryView(report, '2026-12-04', 'zh-CN');
    expect(view.title).toBe('门磁监测日报 · 镇 · 2026-12-04');
    expect(view.fields.map((f) => f.label)).toEqual([
      '在管隔离户（已布防）',
      '开门告警',
      '当前离线门磁',
      '未结案告警',
      '西村',
    ]);
  });
});
