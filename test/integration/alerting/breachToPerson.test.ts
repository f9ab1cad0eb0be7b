/**
 * Issue 5 end to end in the running service: an MQTT `open` reaches the grid worker by e-mail and
 * webhook (real SMTP server, real HTTP receiver), the one-tap link acknowledges it, unacknowledged
 * alerts climb the grid, scope and resolve rules hold at the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import type { startService } from '../../helpers/service.ts';
import type { SmtpCapture } from '../../helpers/smtp.ts';
import { openEventStream } from '../../helpers/sse.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { ackLinkIn, armedHousehold, must, publishOpen as publishOpenAs, startAlertingRig } from './grid.ts';

const PUBLIC_URL = 'http://sealwatch.test:8080';

describe('a breach reaches a person and back', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let smtp: SmtpCapture;
  let hook: WebhookReceiver;
  let liToken: string;

  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  beforeAll(async () => {
    rig = await startAlertingRig({
      MAIL_FROM: 'SealWatch <alerts@sealwatch.test>',
      PUBLIC_URL,
      ESCALATE_AFTER: '3s,6s',
      TZ_LOCAL: 'Asia/Shanghai',
      LOCALE: 'zh-CN',
    });
    ({ svc, smtp, hook } = rig);
    liToken = (await must(svc, 'POST', '/api/tokens', { role: 'worker', gridId: 'licun', name: 'li' }, 201))
      .token;
  });
  afterAll(async () => rig?.close());

  const publishOpen = (s: { sensorId: string; secret: string }, seq: number) => publishOpenAs(svc, s, seq);
  const openAlertOf = async (sensorId: string) => {
    const list = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{
      sensorId?: string;
      id: string;
    }>;
    return list.find((a) => a.sensorId === sensorId);
  };
  /** Reads a page with the link (GET), as a phone would, without the PUBLIC_URL host. */
  const local = (link: string) => link.replace(PUBLIC_URL, svc.httpUrl);

  it('an open over MQTT → the worker gets an e-mail and a webhook with address, grid path, local time and link; the link acknowledges once', async () => {
    const s = await armedHousehold(svc, 'dongcun', '12');
    const publishedAt = Date.now();
    await publishOpen(s, 1);

    const mail = await smtp.waitFor((m) => m.to.includes('wang@example.org') && m.text.includes('12 号'));
    expect(mail.subject).toContain('开门告警');
    expect(mail.text).toContain('史村镇东村三组 12 号');
    expect(mail.text).toContain('曲沃县 / 史村镇 / 东村');
    // Local time in Asia/Shanghai (UTC+8), as the worker reads it.
    const local8 = new Date(publishedAt + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(mail.text).toContain(local8);
    const link = ackLinkIn(mail.text);
    expect(link.startsWith(`${PUBLIC_URL}/ack/`)).toBe(true);

    const req = await hook.waitFor((r) => r.path === '/wang');
    expect(req.json).toMatchObject({ source: 'sealwatch', severity: 'critical' });
    expect(JSON.stringify(req.json)).toContain('史村镇东村三组 12 号');
    expect(req.json.ackUrl.startsWith(`${PUBLIC_URL}/ack/`)).toBe(true);

    const alert = await openAlertOf(s.sensorId);
    expect(alert).toMatchObject({
      type: 'breach',
      severity: 'critical',
      status: 'open',
      assignee: 'w-dong',
      gridId: 'dongcun',
      householdId: s.householdId,
      address: '史村镇东村三组 12 号',
      gridPath: ['曲沃县', '史村镇', '东村'],
      count: 1,
      escalationLevel: 0,
    });

    // GET only shows the page: link pre-fetchers acknowledge nothing.
    const page = await fetch(local(link));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('史村镇东村三组 12 号');
    expect((await svc.api('GET', `/api/alerts/${alert!.id}`)).body.status).toBe('open');

    const post = await fetch(local(link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=%E5%B7%B2%E8%81%94%E7%B3%BB',
    });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('已确认');
    const acked = (await svc.api('GET', `/api/alerts/${alert!.id}`)).body;
    expect(acked).toMatchObject({ status: 'acknowledged', ackedBy: 'w-dong' });
    expect(acked.history.map((c: { kind: string }) => c.kind)).toContain('acknowledged');
    expect(acked.deliveries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'email', recipientId: 'w-dong', status: 'delivered' }),
        expect.objectContaining({ channel: 'webhook', recipientId: 'w-dong', status: 'delivered' }),
      ]),
    );

    // Replayed, tampered: refused with the error page.
    const again = await fetch(local(link), { method: 'POST' });
    expect(again.status).toBe(410);
    const tampered = `${local(link).slice(0, -3)}${local(link).endsWith('A') ? 'B' : 'A'}xx`;
    expect((await fetch(tampered, { method: 'POST' })).status).toBe(404);

    // Acknowledged: nothing climbs the grid when the first step (3 s) has passed.
    await new Promise((r) => setTimeout(r, 4_500));
    const after = (await svc.api('GET', `/api/alerts/${alert!.id}`)).body;
    expect(after.escalationLevel).toBe(0);
    expect(
      smtp.inbox.filter((m) => m.to.includes('town@example.org') && m.text.includes('12 号')),
    ).toHaveLength(0);
  });

  it('unacknowledged, the alert goes to the leader one level up after the first step, then further up', async () => {
    const s = await armedHousehold(svc, 'dongcun', '13');
    await publishOpen(s, 1);
    await smtp.waitFor((m) => m.to.includes('wang@example.org') && m.text.includes('13 号'));
    const town = await smtp.waitFor(
      (m) => m.to.includes('town@example.org') && m.text.includes('13 号'),
      15_000,
    );
    expect(town.subject).toContain('【升级】');
    await hook.waitFor((r) => r.path === '/town' && r.body.includes('13 号'));
    const county = await smtp.waitFor(
      (m) => m.to.includes('county@example.org') && m.text.includes('13 号'),
      15_000,
    );
    expect(county.subject).toContain('【升级】');
    const alert = await openAlertOf(s.sensorId);
    const detail = (await svc.api('GET', `/api/alerts/${alert!.id}`)).body;
    expect(detail.escalationLevel).toBe(2);
    const escalations = detail.history.filter((c: { kind: string }) => c.kind === 'escalated');
    expect(escalations.map((c: { detail: { level: number } }) => c.detail.level)).toEqual([1, 2]);
    // Measured from the opening: +3 s and +6 s (never before).
    const opened = Date.parse(detail.openedAt);
    expect(Date.parse(escalations[0].at)).toBeGreaterThanOrEqual(opened + 3_000);
    expect(Date.parse(escalations[1].at)).toBeGreaterThanOrEqual(opened + 6_000);
  });

  it("another grid's worker neither sees nor acknowledges the alert; resolving needs a note; resolving twice is a conflict", async () => {
    const s = await armedHousehold(svc, 'dongcun', '14');
    await publishOpen(s, 1);
    await eventually(async () => (await openAlertOf(s.sensorId)) !== undefined, 10_000, 'alert raised');
    const alert = (await openAlertOf(s.sensorId))!;

    const theirs = (await svc.api('GET', '/api/alerts?status=open', undefined, liToken)).body;
    expect(Array.isArray(theirs)).toBe(true);
    expect(theirs.find((a: { id: string }) => a.id === alert.id)).toBeUndefined();
    // Outside the caller's grid: 404, as an alert that does not exist.
    expect((await svc.api('GET', `/api/alerts/${alert.id}`, undefined, liToken)).status).toBe(404);
    expect((await svc.api('POST', `/api/alerts/${alert.id}/ack`, {}, liToken)).status).toBe(404);
    expect((await svc.api('POST', '/api/alerts/nope/ack', {})).status).toBe(404);
    expect((await svc.api('GET', '/api/alerts?status=open', undefined, null)).status).toBe(401);

    const noNote = await svc.api('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'visited' });
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.code).toBe('validation');
    const blank = await svc.api('POST', `/api/alerts/${alert.id}/resolve`, {
      outcome: 'visited',
      note: '  ',
    });
    expect(blank.status).toBe(400);
    const badOutcome = await svc.api('POST', `/api/alerts/${alert.id}/resolve`, {
      outcome: 'gone',
      note: 'x',
    });
    expect(badOutcome.status).toBe(400);

    const acked = await svc.api('POST', `/api/alerts/${alert.id}/ack`, { note: '电话联系中' });
    expect(acked.status).toBe(200);
    expect(acked.body.status).toBe('acknowledged');
    const resolved = await svc.api('POST', `/api/alerts/${alert.id}/resolve`, {
      outcome: 'visited',
      note: '上门核实，住户取快递',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      outcome: 'visited',
      note: '上门核实，住户取快递',
    });
    expect(
      (await svc.api('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'visited', note: 'again' }))
        .status,
    ).toBe(409);
    expect((await svc.api('POST', `/api/alerts/${alert.id}/ack`, {})).status).toBe(409);
    const history = (await svc.api('GET', `/api/alerts/${alert.id}`)).body.history;
    expect(history.map((c: { kind: string; actor: string }) => [c.kind, c.actor])).toEqual(
      expect.arrayContaining([
        ['opened', 'system'],
        ['acknowledged', 'initial admin'],
        ['resolved', 'initial admin'],
      ]),
    );
    expect(
      (await svc.api('GET', '/api/alerts?status=resolved')).body.map((a: { id: string }) => a.id),
    ).toContain(alert.id);
  });

  it('a further open while the breach is unresolved is added to it, not a new alert', async () => {
    const s = await armedHousehold(svc, 'dongcun', '15');
    await publishOpen(s, 1);
    await eventually(async () => (await openAlertOf(s.sensorId)) !== undefined, 10_000, 'alert raised');
    await publishOpen(s, 2);
    await eventually(
      async () => ((await openAlertOf(s.sensorId)) as { count?: number })?.count === 2,
      10_000,
      'count 2',
    );
    const all = (await svc.api('GET', '/api/alerts')).body.filter(
      (a: { sensorId?: string }) => a.sensorId === s.sensorId,
    );
    expect(all).toHaveLength(1);
  });

  it('an open inside a window covering now is logged, not alerted', async () => {
    const s = await armedHousehold(svc, 'dongcun', '16');
    await must(
      svc,
      'POST',
      '/api/windows',
      {
        householdId: s.householdId,
        start: new Date(Date.now() - 60_000).toISOString(),
        end: new Date(Date.now() + 600_000).toISOString(),
        reason: '上门核酸',
        by: 'w-dong',
      },
      201,
    );
    await publishOpen(s, 1);
    await svc.waitForLog((l) => l.msg === 'door opened: logged, not alerted' && l.sensorId === s.sensorId);
    expect(await openAlertOf(s.sensorId)).toBeUndefined();
  });

  it('an announced opening (one-time household link) is logged, not alerted; the link works once', async () => {
    const s = await armedHousehold(svc, 'dongcun', '17');
    const { url } = await must(svc, 'POST', `/api/households/${s.householdId}/announce-link`, undefined, 201);
    expect(url.startsWith(`${PUBLIC_URL}/announce/`)).toBe(true);
    const page = await fetch(local(url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="reason"');
    const post = await fetch(local(url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=delivery',
    });
    expect(post.status).toBe(200);
    expect((await fetch(local(url), { method: 'POST' })).status).toBe(410);
    await publishOpen(s, 1);
    await svc.waitForLog(
      (l) =>
        l.msg === 'door opened: logged, not alerted' && l.sensorId === s.sensorId && l.why === 'announced',
    );
    expect(await openAlertOf(s.sensorId)).toBeUndefined();

    const byApi = await svc.api('POST', '/api/announcements', {
      householdId: s.householdId,
      reason: '送餐',
      minutes: 5,
    });
    expect(byApi.status).toBe(201);
    expect(Date.parse(byApi.body.end) - Date.parse(byApi.body.start)).toBe(5 * 60_000);
    expect(
      (await svc.api('POST', '/api/announcements', { householdId: s.householdId, reason: 'x' }, liToken))
        .status,
    ).toBe(404);
  });

  it('the daily report goes to each grid node contact for their subtree', async () => {
    const run = await must(svc, 'POST', '/api/reports/daily/run', undefined, 200);
    expect(run.reports).toBe(2); // 县 and 镇 leaders have e-mail
    const county = await smtp.waitFor(
      (m) => m.to.includes('county@example.org') && m.subject.includes('日报'),
    );
    expect(county.text).toContain('曲沃县');
    expect(county.text).toMatch(/开门告警: [1-9]/);
    await smtp.waitFor((m) => m.to.includes('town@example.org') && m.subject.includes('日报'));
    expect((await svc.api('POST', '/api/reports/daily/run', undefined, liToken)).status).toBe(403);
  });

  it('alert changes are on the event stream and in the counts of the overview', async () => {
    const stream = openEventStream(`${svc.httpUrl}/api/events`, svc.adminToken);
    expect(await stream.opened).toBe(200);
    const s = await armedHousehold(svc, 'dongcun', '90');
    await publishOpen(s, 1);
    const event = await stream.next(
      (e) => e.event === 'alert' && JSON.parse(e.data).alert.sensorId === s.sensorId,
    );
    expect(JSON.parse(event.data)).toMatchObject({
      change: 'opened',
      alert: { type: 'breach', gridId: 'dongcun' },
    });
    stream.close();
    const nodes = (await svc.api('GET', '/api/overview')).body.nodes as {
      id: string;
      counts: { alerts: Record<string, number> };
    }[];
    expect(nodes.find((n) => n.id === 'dongcun')?.counts.alerts.breach).toBeGreaterThanOrEqual(1);
  });
});
