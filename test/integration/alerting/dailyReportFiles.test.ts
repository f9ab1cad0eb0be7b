/**
 * The daily report as a file (json, csv, xlsx) against the real service: breaches raised over real
 * MQTT, the xlsx opened with exceljs and its cells checked against the node's numbers; scoping and
 * validation of GET /api/reports/daily.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDayKey } from '../../../alerting/localTime.ts';
import { eventually } from '../../helpers/eventually.ts';
import type { startService } from '../../helpers/service.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from './grid.ts';

const TZ = 'Asia/Shanghai';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe('daily report files', () => {
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  let svc: Awaited<ReturnType<typeof startService>>;
  let liToken: string;
  const today = localDayKey(Date.now(), TZ);

  const download = async (path: string, token = svc.adminToken) => {
    const res = await fetch(`${svc.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    rig = await startAlertingRig({ MAIL_FROM: 'alerts@sealwatch.test', TZ_LOCAL: TZ, LOCALE: 'zh-CN' });
    svc = rig.svc;
    // Two breaches in 东村, one in 里村: every one still open.
    const sensors = [
      await armedHousehold(svc, 'dongcun', '31'),
      await armedHousehold(svc, 'dongcun', '32'),
      await armedHousehold(svc, 'licun', '33'),
    ];
    for (const s of sensors) await publishOpen(svc, s, 1);
    await eventually(
      async () =>
        ((await svc.api('GET', '/api/alerts?type=breach')).body as unknown[]).length === sensors.length,
      15_000,
      'three breach alerts',
    );
    liToken = (await must(svc, 'POST', '/api/tokens', { role: 'worker', gridId: 'licun', name: 'li' }, 201))
      .token;
  });
  afterAll(async () => rig?.close());

  it('json: the node’s numbers per child node and in total', async () => {
    const r = await svc.api('GET', `/api/reports/daily?gridId=shicun&date=${today}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ day: today, archived: false });
    const report = r.body.report;
    expect(report.rootPath).toEqual(['曲沃县', '史村镇']);
    expect(report.sealedHouseholds).toBe(3);
    expect(report.breaches.total).toBe(3);
    expect(report.stillOpen.count).toBe(3);
    expect(report.byChild).toEqual([
      { nodeId: 'dongcun', name: '东村', sealed: 2, breaches: 2, offline: 0, open: 2 },
      { nodeId: 'licun', name: '里村', sealed: 1, breaches: 1, offline: 0, open: 1 },
    ]);
  });

  it('xlsx: opens with exceljs, Chinese headers, a row per child node and the total', async () => {
    const { res, bytes } = await download(`/api/reports/daily?gridId=shicun&date=${today}&format=xlsx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(XLSX);
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(disposition).toContain(`filename="sealwatch-daily-shicun-${today}.xlsx"`);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1] ?? '')).toBe(
      `门磁监测日报-史村镇-${today}.xlsx`,
    );

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('日报')!;
    const row = (n: number) => (sheet.getRow(n).values as unknown[]).slice(1);
    expect(String(row(1)[0])).toContain('曲沃县 / 史村镇');
    expect(row(4)).toEqual(['网格', '在管隔离户（已布防）', '开门告警', '当前离线门磁', '未结案告警']);
    expect(row(5)).toEqual(['东村', 2, 2, 0, 2]);
    expect(row(6)).toEqual(['里村', 1, 1, 0, 1]);
    expect(row(7)).toEqual(['合计（史村镇）', 3, 3, 0, 3]);
    const facts = wb.getWorksheet('概况')!;
    const openRow = facts.getSheetValues().find((v) => Array.isArray(v) && v[1] === '开门') as
      | unknown[]
      | undefined;
    expect(openRow?.[2]).toBe(3);
  });

  it('csv: UTF-8 with a BOM, the same table', async () => {
    const { res, bytes } = await download(`/api/reports/daily?gridId=shicun&date=${today}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8').slice(1).split('\r\n')).toEqual([
      '网格,在管隔离户（已布防）,开门告警,当前离线门磁,未结案告警',
      '东村,2,2,0,2',
      '里村,1,1,0,1',
      '合计（史村镇）,3,3,0,3',
      '',
    ]);
  });

  it('scoped: a worker of 里村 gets its own node’s report, not the town’s', async () => {
    const own = await svc.api('GET', `/api/reports/daily?gridId=licun&date=${today}`, undefined, liToken);
    expect(own.status).toBe(200);
    expect(own.body.report.breaches.total).toBe(1);
    const town = await svc.api('GET', `/api/reports/daily?gridId=shicun&date=${today}`, undefined, liToken);
    expect([403, 404]).toContain(town.status);
    const list = await svc.api('GET', '/api/reports?gridId=shicun', undefined, liToken);
    expect([403, 404]).toContain(list.status);
  });

  it('refuses a bad date or format with 400, an unknown node with 404', async () => {
    const bad = async (q: string) => (await svc.api('GET', `/api/reports/daily?${q}`)).status;
    expect(await bad('gridId=shicun&date=2026-02-30')).toBe(400);
    expect(await bad('gridId=shicun&date=yesterday')).toBe(400);
    expect(await bad('gridId=shicun&date=2999-01-01')).toBe(400);
    expect(await bad(`gridId=shicun&date=${today}&format=pdf`)).toBe(400);
    expect(await bad('date=2026-01-01')).toBe(400);
    const unknown = await svc.api('GET', `/api/reports/daily?gridId=nowhere&date=${today}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('nowhere');
  });
});
