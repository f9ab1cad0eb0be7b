/**
 * Issue 18.4, the command room's hands, in the running service over real MQTT, HTTP, SMTP and a
 * real webhook receiver: give an alert to another worker (who is notified), comment on it, silence
 * a sensor (nothing from it until the silence ends, by itself, on the real clock, and after a
 * restart), and search the alert history. Each route's errors, and the audit trail's entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import type { startService } from '../../helpers/service.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from './grid.ts';

type Svc = Awaited<ReturnType<typeof startService>>;
interface AlertAnswer {
  id: string;
  sensorId?: string;
  status: string;
  assignee: string | null;
  nextEscalationAt?: string;
  history?: Array<{ kind: string; actor: string; at: string; detail: Record<string, unknown> }>;
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe("the command room's hands", () => {
  let svc: Svc;
  let hook: WebhookReceiver;
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  /** Tokens scoped to 里村 (another village), and a technician and a worker of the whole county. */
  const tokens = { li: '', technician: '', worker: '', monitor: '' };

  beforeAll(async () => {
    rig = await startAlertingRig({ ESCALATE_AFTER: '10m,20m', LOCALE: 'zh-CN' });
    ({ svc, hook } = rig);
    const token = async (role: string, gridId: string, name: string) =>
      (await must(svc, 'POST', '/api/tokens', { role, gridId, name }, 201)).token as string;
    tokens.li = await token('monitor', 'licun', '里村值班');
    tokens.technician = await token('technician', 'quwo', '县技术员');
    tokens.worker = await token('worker', 'quwo', '县网格员');
    tokens.monitor = await token('monitor', 'quwo', '县指挥中心值班');
  });
  afterAll(async () => rig?.close());

  const as = (token: string) => (method: string, path: string, body?: unknown) =>
    svc.api(method, path, body, token);
  const openBreach = async (sensorId: string): Promise<AlertAnswer | undefined> =>
    ((await svc.api('GET', `/api/alerts?status=open&sensorId=${sensorId}`)).body as AlertAnswer[]).find(
      (a) => a.sensorId === sensorId,
    );
  const breachOf = async (sensorId: string): Promise<AlertAnswer> => {
    let found: AlertAnswer | undefined;
    await eventually(
      async () => {
        found = await openBreach(sensorId);
        return found !== undefined;
      },
      10_000,
      `a breach of ${sensorId}`,
    );
    return found as AlertAnswer;
  };

  it('assigns an alert to a leader above it: the leader is notified at once, escalation restarts, the history and the audit trail name who did it', async () => {
    const s = await armedHousehold(svc, 'dongcun', '41');
    await publishOpen(svc, s, 1);
    const alert = await breachOf(s.sensorId);
    expect(alert.assignee).toBe('w-dong');
    const before = Date.now();
    const assigned = await as(tokens.monitor)('POST', `/api/alerts/${alert.id}/assign`, {
      workerId: 'l-town',
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ id: alert.id, assignee: 'l-town', status: 'open' });
    // The new assignee has the first step (10 min) from now, not what was left of the former one's.
    const next = Date.parse(assigned.body.nextEscalationAt);
    expect(next).toBeGreaterThanOrEqual(before + 600_000 - 1000);
    expect(next).toBeLessThanOrEqual(Date.now() + 600_000);

    const req = await hook.waitFor((r) => r.path === '/town' && r.json?.data?.alertId === alert.id);
    expect(req.json.data.event).toBe('assigned');
    expect(req.json.title).toContain('【转派】');
    expect(req.json.ackUrl).toMatch(/\/ack\//);

    const detail = (await svc.api('GET', `/api/alerts/${alert.id}`)).body as AlertAnswer;
    expect(detail.history?.find((h) => h.kind === 'assigned')).toMatchObject({
      actor: '县指挥中心值班',
      detail: { from: 'w-dong', to: 'l-town' },
    });
    const audit = (await svc.api('GET', `/api/audit?entity=alert&id=${alert.id}`)).body as Array<{
      action: string;
      actor: string;
      before: { assignee: string };
      after: { assignee: string };
    }>;
    expect(audit).toMatchObject([
      {
        action: 'assign',
        actor: '县指挥中心值班',
        before: { assignee: 'w-dong' },
        after: { assignee: 'l-town' },
      },
    ]);
  });

  it('refuses what cannot be assigned: 400 for an unknown worker or one whose node does not hold the alert, 409 twice or once resolved, 404 outside the scope or unknown, 403 for a technician', async () => {
    const s = await armedHousehold(svc, 'dongcun', '42');
    await publishOpen(svc, s, 1);
    const { id } = await breachOf(s.sensorId);
    const assign = (workerId: unknown, token?: string) =>
      svc.api('POST', `/api/alerts/${id}/assign`, { workerId }, token);
    expect((await assign('nobody')).status).toBe(400);
    // 里村's worker cannot see an alert of 东村.
    const sibling = await assign('w-li');
    expect(sibling.status).toBe(400);
    expect(sibling.body.error.message).toMatch(/grid node does not hold it/);
    expect((await assign(42)).status).toBe(400);
    expect((await svc.api('POST', `/api/alerts/${id}/assign`, {})).status).toBe(400);
    expect((await assign('w-dong')).status).toBe(409);
    expect((await assign('l-town', tokens.technician)).status).toBe(403);
    // A token of 里村 neither sees the alert nor learns it exists.
    const outside = await assign('w-li', tokens.li);
    const unknown = await svc.api(
      'POST',
      '/api/alerts/no-such-alert/assign',
      { workerId: 'w-li' },
      tokens.li,
    );
    expect([outside.status, unknown.status]).toEqual([404, 404]);
    await must(svc, 'POST', `/api/alerts/${id}/resolve`, { outcome: 'visited', note: '已上门' }, 200);
    expect((await assign('l-town')).status).toBe(409);
  });

  it('comments on an alert (open or resolved): kept in its history with actor and time, audited; refuses an empty note, an unknown or out-of-scope alert', async () => {
    const s = await armedHousehold(svc, 'dongcun', '43');
    await publishOpen(svc, s, 1);
    const { id } = await breachOf(s.sensorId);
    const commented = await as(tokens.worker)('POST', `/api/alerts/${id}/comment`, {
      note: '已电话联系住户，正在赶往',
    });
    expect(commented.status).toBe(200);
    const note = commented.body.history.find((h: { kind: string }) => h.kind === 'commented');
    expect(note).toMatchObject({ actor: '县网格员', detail: { note: '已电话联系住户，正在赶往' } });
    expect(Math.abs(Date.parse(note.at) - Date.now())).toBeLessThan(10_000);
    expect(commented.body.status).toBe('open');
    expect(
      (await svc.api('GET', `/api/alerts/${id}`)).body.history.map((h: { kind: string }) => h.kind),
    ).toContain('commented');
    expect((await svc.api('POST', `/api/alerts/${id}/comment`, { note: '' })).status).toBe(400);
    expect((await svc.api('POST', `/api/alerts/${id}/comment`, {})).status).toBe(400);
    expect((await svc.api('POST', '/api/alerts/none/comment', { note: 'x' })).status).toBe(404);
    expect((await as(tokens.li)('POST', `/api/alerts/${id}/comment`, { note: 'x' })).status).toBe(404);
    await must(
      svc,
      'POST',
      `/api/alerts/${id}/resolve`,
      { outcome: 'falseAlarm', note: '住户自行开门取物' },
      200,
    );
    expect((await svc.api('POST', `/api/alerts/${id}/comment`, { note: '回访：住户知悉规定' })).status).toBe(
      200,
    );
    const audit = (await svc.api('GET', `/api/audit?entity=alert&id=${id}`)).body as Array<{
      action: string;
    }>;
    expect(audit.map((e) => e.action)).toEqual(['comment', 'resolve', 'comment']);
  });

  it('acknowledging and resolving are audited with the person who did it', async () => {
    const s = await armedHousehold(svc, 'dongcun', '44');
    await publishOpen(svc, s, 1);
    const { id } = await breachOf(s.sensorId);
    await must(svc, 'POST', `/api/alerts/${id}/ack`, { note: '收到' }, 200);
    await as(tokens.monitor)('POST', `/api/alerts/${id}/resolve`, { outcome: 'visited', note: '门已关好' });
    const audit = (await svc.api('GET', `/api/audit?entity=alert&id=${id}`)).body as Array<{
      action: string;
      actor: string;
      after: Record<string, unknown>;
    }>;
    expect(audit).toMatchObject([
      { action: 'resolve', actor: '县指挥中心值班', after: { status: 'resolved', outcome: 'visited' } },
      { action: 'acknowledge', actor: 'initial admin', after: { status: 'acknowledged', note: '收到' } },
    ]);
  });

  it('silences a sensor: shown on the seal and in the list, counted in /metrics, its opening raises nothing; lifted early, the next opening alerts', async () => {
    const s = await armedHousehold(svc, 'dongcun', '45');
    const until = inDays(2);
    const silenced = await as(tokens.monitor)('POST', `/api/sensors/${s.sensorId}/silence`, {
      until,
      reason: '门磁维修中',
    });
    expect(silenced.status).toBe(200);
    expect(silenced.body).toMatchObject({
      sensorId: s.sensorId,
      until,
      reason: '门磁维修中',
      by: '县指挥中心值班',
    });
    expect((await svc.api('GET', `/api/seals/${s.sensorId}`)).body.silenced).toMatchObject({
      until,
      reason: '门磁维修中',
    });
    const list = (await svc.api('GET', '/api/seals?gridId=dongcun&limit=1000')).body.items as Array<{
      sensorId: string;
      silenced: unknown;
    }>;
    expect(list.find((x) => x.sensorId === s.sensorId)?.silenced).toMatchObject({ reason: '门磁维修中' });
    expect(list.filter((x) => x.sensorId !== s.sensorId).every((x) => x.silenced === null)).toBe(true);
    const metrics = (await svc.api('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/^sealwatch_silenced_sensors 1$/m);

    await publishOpen(svc, s, 1);
    // The message was committed and decided before its PUBACK: a breach would be open by now.
    await new Promise((r) => setTimeout(r, 300));
    expect(await openBreach(s.sensorId)).toBeUndefined();

    const lifted = await as(tokens.technician)('DELETE', `/api/sensors/${s.sensorId}/silence`);
    expect(lifted.status).toBe(200);
    expect((await svc.api('GET', `/api/seals/${s.sensorId}`)).body.silenced).toBeNull();
    expect((await svc.api('DELETE', `/api/sensors/${s.sensorId}/silence`)).status).toBe(404);
    const client = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
    await client.publishAsync(`seal/${s.sensorId}/event`, eventPayload('close', 2), { qos: 1 });
    await client.publishAsync(`seal/${s.sensorId}/event`, eventPayload('open', 3), { qos: 1 });
    await client.endAsync();
    await breachOf(s.sensorId);

    const entries = (await svc.api('GET', `/api/audit?entity=sensor&id=${s.sensorId}`)).body as Array<{
      action: string;
      actor: string;
      before: unknown;
      after: unknown;
    }>;
    // The sensor's own entries (its creation) are there too; these are the silence's.
    const audit = entries.filter((e) => e.action === 'silence' || e.action === 'unsilence');
    expect(audit).toMatchObject([
      { action: 'unsilence', actor: '县技术员', before: { reason: '门磁维修中' }, after: null },
      { action: 'silence', actor: '县指挥中心值班', before: null, after: { reason: '门磁维修中', until } },
    ]);
  });

  it('refuses a silence that is not in the future, longer than 30 days, without a reason, of an unknown or out-of-scope sensor, or by a worker', async () => {
    const s = await armedHousehold(svc, 'dongcun', '46');
    const silence = (body: unknown, token?: string, sensorId = s.sensorId) =>
      svc.api('POST', `/api/sensors/${sensorId}/silence`, body, token);
    const past = await silence({ until: inDays(-0.01), reason: 'x' });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toMatch(/future/);
    const tooLong = await silence({ until: inDays(31), reason: 'x' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/30 days/);
    expect((await silence({ until: inDays(1) })).status).toBe(400);
    expect((await silence({ until: 'tomorrow', reason: 'x' })).status).toBe(400);
    expect((await silence({ until: inDays(1), reason: '' })).status).toBe(400);
    expect((await silence({ until: inDays(1), reason: 'x' }, undefined, 'no-such-seal')).status).toBe(404);
    expect((await silence({ until: inDays(1), reason: 'x' }, tokens.li)).status).toBe(404);
    expect((await svc.api('DELETE', `/api/sensors/${s.sensorId}/silence`, undefined, tokens.li)).status).toBe(
      404,
    );
    expect((await silence({ until: inDays(1), reason: 'x' }, tokens.worker)).status).toBe(403);
    expect((await svc.api('GET', `/api/seals/${s.sensorId}`)).body.silenced).toBeNull();
  });

  it('on the real clock: a silenced door opening raises no breach; after the silence ends by itself the next one does, with no restart', async () => {
    const s = await armedHousehold(svc, 'dongcun', '47');
    const until = Date.now() + 2500;
    await must(
      svc,
      'POST',
      `/api/sensors/${s.sensorId}/silence`,
      { until: new Date(until).toISOString(), reason: '测试' },
      200,
    );
    const client = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
    await client.publishAsync(`seal/${s.sensorId}/event`, eventPayload('open', 1), { qos: 1 });
    await client.publishAsync(`seal/${s.sensorId}/event`, eventPayload('close', 2), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await openBreach(s.sensorId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 200));
    expect((await svc.api('GET', `/api/seals/${s.sensorId}`)).body.silenced).toBeNull();
    await client.publishAsync(`seal/${s.sensorId}/event`, eventPayload('open', 3), { qos: 1 });
    await client.endAsync();
    expect((await breachOf(s.sensorId)).status).toBe('open');
  });

  it('searches the alert history, resolved too, by status, type, sensor, household, subtree, time and free text, paged with x-total-count', async () => {
    const s = await armedHousehold(svc, 'dongcun', '48');
    await publishOpen(svc, s, 1);
    const { id } = await breachOf(s.sensorId);
    await must(
      svc,
      'POST',
      `/api/alerts/${id}/resolve`,
      { outcome: 'falseAlarm', note: '邻居代收快递开门' },
      200,
    );
    const search = async (query: string, token?: string) => {
      const r = await svc.api('GET', `/api/alerts?${query}`, undefined, token);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200);
      return { ids: (r.body as AlertAnswer[]).map((a) => a.id), total: Number(r.headers['x-total-count']) };
    };
    expect((await search('status=resolved&q=邻居代收')).ids).toEqual([id]);
    expect((await search('q=falsealarm&sensorId=seal-48')).ids).toEqual([id]);
    expect((await search('q=三组 48 号')).ids).toEqual([id]);
    expect((await search(`householdId=${s.householdId}&status=all`)).ids).toEqual([id]);
    expect((await search('status=open&sensorId=seal-48')).ids).toEqual([]);
    expect((await search('type=offline&sensorId=seal-48')).ids).toEqual([]);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect((await search(`sensorId=seal-48&from=${hourAgo}`)).ids).toEqual([id]);
    expect((await search(`sensorId=seal-48&to=${hourAgo}`)).ids).toEqual([]);
    expect((await search('gridId=licun&q=邻居')).ids).toEqual([]);
    // A comment's words are found too.
    await must(svc, 'POST', `/api/alerts/${id}/comment`, { note: '回访完成 ZX-17' }, 200);
    expect((await search('q=zx-17')).ids).toEqual([id]);
    // LIKE's own characters are taken literally.
    expect((await search('q=%25')).ids).not.toContain(id);
    // 里村's token does not find 东村's alert, however it searches.
    expect((await search('q=邻居代收&status=all', tokens.li)).ids).toEqual([]);
    const all = await search('status=all&limit=2&offset=1');
    expect(all.ids).toHaveLength(2);
    expect(all.total).toBeGreaterThanOrEqual(6);
    const everyAlert = await search('status=all&limit=1000');
    expect(everyAlert.total).toBe(everyAlert.ids.length);
    expect((await search('status=open')).total).toBe((await search('status=open')).ids.length);
    expect((await svc.api('GET', '/api/alerts?status=closed')).status).toBe(400);
    expect((await svc.api('GET', '/api/alerts?from=yesterday')).status).toBe(400);
    expect((await svc.api('GET', '/api/alerts?gridId=nowhere')).status).toBe(404);
  });

  it('a silence survives a restart (it was written): the opening after it raises nothing', async () => {
    const s = await armedHousehold(svc, 'dongcun', '49');
    const until = inDays(1);
    await must(svc, 'POST', `/api/sensors/${s.sensorId}/silence`, { until, reason: '改造施工' }, 200);
    await svc.restart();
    expect((await svc.api('GET', `/api/seals/${s.sensorId}`)).body.silenced).toMatchObject({
      until,
      reason: '改造施工',
    });
    await publishOpen(svc, s, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await openBreach(s.sensorId)).toBeUndefined();
  });
});
