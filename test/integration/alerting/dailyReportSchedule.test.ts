/**
 * The scheduled daily report on the real service and the real clock: the schedule is set to fire at
 * the next minute. Service A runs through it: yesterday's reports are archived and a short summary
 * reaches each node's robot once. Service B is down at that minute: when it comes back, the missed
 * report is archived and posted, once, and a further restart sends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDayKey } from '../../../alerting/localTime.ts';
import { cronAtNextMinute } from '../../helpers/cronSoon.ts';
import { eventually } from '../../helpers/eventually.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { must, startAlertingRig } from './grid.ts';

const TZ = 'Asia/Shanghai';
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const summaries = (hook: WebhookReceiver, path: string) =>
  hook.received.filter((r) => r.path === path && r.json?.data?.event === 'dailyReportSummary');

describe('the scheduled daily report: archive, robot summary, catch-up after downtime', () => {
  const due = cronAtNextMinute(30_000, TZ);
  const yesterday = localDayKey(due.at - 24 * 60 * MINUTE, TZ);
  let a: Awaited<ReturnType<typeof startAlertingRig>>;
  let b: Awaited<ReturnType<typeof startAlertingRig>>;
  const env = { MAIL_FROM: 'alerts@sealwatch.test', TZ_LOCAL: TZ, DAILY_REPORT_CRON: due.cron };

  beforeAll(async () => {
    [a, b] = await Promise.all([startAlertingRig(env), startAlertingRig(env)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('runs on time on A, catches up once on B after a restart past the cron time', async () => {
    await b.svc.stop();
    if (Date.now() > due.at - 2_000)
      throw new Error('the set-up took too long: B was not down at the cron time');
    await sleep(due.at - Date.now() + 3_000);

    // A ran at the cron time: yesterday archived, one summary to each node's robot.
    await a.hook.waitFor((r) => r.path === '/town' && r.json?.data?.event === 'dailyReportSummary');
    await a.hook.waitFor((r) => r.path === '/wang' && r.json?.data?.event === 'dailyReportSummary');
    const town = summaries(a.hook, '/town')[0]!;
    expect(town.json.title).toBe(`门磁监测日报 · 史村镇 · ${yesterday}`);
    expect(town.json.data).toMatchObject({ gridId: 'shicun', day: yesterday, breaches: 0 });
    const list = await must(a.svc, 'GET', '/api/reports', undefined, 200);
    expect(list.total).toBe(4);
    expect(list.items.map((i: { gridId: string }) => i.gridId).sort()).toEqual([
      'dongcun',
      'licun',
      'quwo',
      'shicun',
    ]);
    expect(list.items[0]).toMatchObject({
      day: yesterday,
      links: { xlsx: expect.stringContaining('format=xlsx') },
    });
    const archived = await must(
      a.svc,
      'GET',
      `/api/reports/daily?gridId=shicun&date=${yesterday}`,
      undefined,
      200,
    );
    expect(archived.archived).toBe(true);
    // Scoped: 里村's worker sees 里村's report only.
    const li = (
      await must(a.svc, 'POST', '/api/tokens', { role: 'worker', gridId: 'licun', name: 'li' }, 201)
    ).token;
    const liList = await a.svc.api('GET', '/api/reports', undefined, li);
    expect(liList.body.items.map((i: { gridId: string }) => i.gridId)).toEqual(['licun']);

    // B was down at the cron time: nothing until it comes back, then the missed report, once.
    expect(summaries(b.hook, '/town')).toHaveLength(0);
    await b.svc.restart();
    await b.hook.waitFor((r) => r.path === '/town' && r.json?.data?.event === 'dailyReportSummary');
    await b.hook.waitFor((r) => r.path === '/wang' && r.json?.data?.event === 'dailyReportSummary');
    expect(summaries(b.hook, '/town')[0]!.json.data.day).toBe(yesterday);
    await eventually(
      async () => (await b.svc.api('GET', '/api/reports')).body.total === 4,
      5_000,
      'B archived the missed day',
    );
    await b.svc.restart();
    await sleep(2_000);
    for (const hook of [a.hook, b.hook]) {
      expect(summaries(hook, '/town')).toHaveLength(1);
      expect(summaries(hook, '/wang')).toHaveLength(1);
    }
  }, 150_000);
});
