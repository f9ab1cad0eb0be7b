import { describe, expect, it } from 'vitest';
import type { ArchivedReport } from '../../../alerting/alertStore.ts';
import { computeDailyReport } from '../../../alerting/dailyReport.ts';
import { alertStoreBackends } from '../../helpers/alertStoreBackends.ts';

/**
 * The daily reports' archive (ReportArchive in alerting/alertStore.ts) against SQLite and a real
 * PostgreSQL: the same calls give the same answers. A fresh database per test on both.
 */
const T = Date.parse('2026-03-02T00:00:00Z');
const BACKENDS = alertStoreBackends('reports');

const NODES = [
  { id: 'r', name: '县', parentId: null },
  { id: 'a', name: '甲镇', parentId: 'r' },
  { id: 'b', name: '乙镇', parentId: 'r' },
];
const archived = (gridId: string, day: string, generatedAt = T): ArchivedReport => ({
  gridId,
  day,
  generatedAt,
  report: computeDailyReport({
    rootId: gridId,
    nodes: NODES,
    households: [{ id: 'h1', gridId: 'a', sealed: true }],
    alerts: [],
    stillOpen: [],
    offlineSensors: [],
    from: T - 86_400_000,
    to: T,
  }),
});

describe.each(BACKENDS)('report archive on $name', (backend) => {
  it('lists newest day first, filtered by node, paged with the total; a day written again is replaced', async () => {
    const store = await backend.open();
    await store.apply({
      reports: [archived('r', '2026-03-01'), archived('a', '2026-03-01'), archived('b', '2026-03-01')],
      state: { 'dailyReport.archivedDay': '2026-03-01' },
    });
    await store.apply({ reports: [archived('a', '2026-03-02'), archived('a', '2026-03-01', T + 5)] });

    const all = await store.listReports({ gridIds: null, limit: 2, offset: 0 });
    expect(all.total).toBe(4);
    expect(all.items).toEqual([
      { gridId: 'a', day: '2026-03-02', generatedAt: T },
      { gridId: 'a', day: '2026-03-01', generatedAt: T + 5 },
    ]);
    const onlyA = await store.listReports({ gridIds: ['a'], limit: 10, offset: 1 });
    expect(onlyA).toEqual({ total: 2, items: [{ gridId: 'a', day: '2026-03-01', generatedAt: T + 5 }] });
    expect(await store.listReports({ gridIds: [], limit: 10, offset: 0 })).toEqual({ total: 0, items: [] });

    const kept = await store.getReport('r', '2026-03-01');
    expect(kept?.report.sealedHouseholds).toBe(1);
    expect(kept?.report.byChild.map((c) => c.nodeId)).toEqual(['a', 'b']);
    expect(await store.getReport('r', '2026-03-02')).toBeUndefined();
    expect(await store.getState('dailyReport.archivedDay')).toBe('2026-03-01');
  });
});
