/**
 * Issue 18.6 in the running service: a household's reusable QR code. Staff make it (scoped,
 * audited, the URL shown once); the resident's page announces openings within the node's opens per
 * day (429 past it, nothing changed), the door opening over MQTT inside the span raises no breach,
 * a new code revokes the old one at once, and the code stops with the quarantine or the household.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream } from '../../helpers/sse.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from './grid.ts';

const PUBLIC_URL = 'http://sealwatch.test:8080';

describe("a household's QR code announces openings", () => {
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  let wangToken: string;
  let liToken: string;
  let techToken: string;
  const svc = () => rig.svc;
  /** The page as a phone opens it, without the PUBLIC_URL host. */
  const local = (url: string) => url.replace(PUBLIC_URL, svc().httpUrl);
  const postJson = (url: string, body: unknown) =>
    fetch(local(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const postForm = (url: string, fields: Record<string, string>) =>
    fetch(local(url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const newCode = async (householdId: string, token = wangToken) => {
    const r = await svc().api('POST', `/api/households/${householdId}/qr`, undefined, token);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { url: string; qrSvg: string; createdAt: string };
  };

  const auditOf = (householdId: string) =>
    must(svc(), 'GET', `/api/audit?entity=residentQr&id=${householdId}`, undefined, 200);

  beforeAll(async () => {
    rig = await startAlertingRig({
      PUBLIC_URL,
      TZ_LOCAL: 'Asia/Shanghai',
      LOCALE: 'zh-CN',
      ESCALATE_AFTER: '1h',
    });
    const token = async (role: string, gridId: string, name: string) =>
      (await must(rig.svc, 'POST', '/api/tokens', { role, gridId, name }, 201)).token as string;
    wangToken = await token('worker', 'dongcun', 'wang');
    liToken = await token('worker', 'licun', 'li');
    techToken = await token('technician', 'dongcun', 'tech');
    // Two openings a day at 东村, so the limit is reached in a few taps.
    await must(rig.svc, 'PUT', '/api/grid/dongcun/policy', { opensPerDay: 2 }, 200);
  });
  afterAll(async () => rig?.close());

  it('staff make a code (201 url + printable SVG), audited with the actor; the secret is in no log and no audit entry; scope and role hold', async () => {
    const s = await armedHousehold(svc(), 'dongcun', '31');
    const r = await svc().api('POST', `/api/households/${s.householdId}/qr`, undefined, wangToken);
    expect(r.status).toBe(201);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body.url.startsWith(`${PUBLIC_URL}/qr/`)).toBe(true);
    expect(r.body.qrSvg).toMatch(/^<svg[^>]*viewBox/);
    const secret = r.body.url.split('/qr/')[1] as string;
    expect(secret.length).toBeGreaterThanOrEqual(32);

    const audit = await auditOf(s.householdId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'wang',
      action: 'create',
      entity: 'residentQr',
      gridId: 'dongcun',
    });
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect((await postJson(r.body.url, { reason: 'delivery' })).status).toBe(201);
    expect(
      svc()
        .logs.map((l) => JSON.stringify(l))
        .filter((l) => l.includes(secret)),
    ).toEqual([]);

    // Another village's worker: the household does not exist for them; a technician may not.
    expect((await svc().api('POST', `/api/households/${s.householdId}/qr`, undefined, liToken)).status).toBe(
      404,
    );
    expect(
      (await svc().api('POST', `/api/households/${s.householdId}/qr`, undefined, techToken)).status,
    ).toBe(403);
    expect((await svc().api('POST', '/api/households/h-nowhere/qr', undefined, wangToken)).status).toBe(404);
  });

  it("the page announces for the node's span; the door opening over MQTT raises no breach; past the day's limit 429 with the reason, nothing changed", async () => {
    const s = await armedHousehold(svc(), 'dongcun', '32');
    const { url } = await newCode(s.householdId);
    const page = await fetch(local(url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<html lang="zh-CN"');
    expect(html).toContain('value="nucleicTest"');
    expect(html).toContain('今天已申报 0 次，上限 2 次');

    // The grid worker sees each announcement live (the page's event stream, in their scope).
    const stream = openEventStream(`${svc().httpUrl}/api/events`, wangToken);
    expect(await stream.opened).toBe(200);
    const first = await postJson(url, { reason: 'delivery' });
    const seen = await stream.next((e) => e.event === 'announcement');
    stream.close();
    expect(JSON.parse(seen.data)).toMatchObject({
      householdId: s.householdId,
      gridId: 'dongcun',
      reason: '送餐/取物',
      by: 'resident-qr:wang',
    });
    expect(first.status).toBe(201);
    const a = (await first.json()) as {
      start: string;
      end: string;
      reason: string;
      announcedToday: number;
      limit: number;
    };
    expect(a).toMatchObject({ reason: '送餐/取物', announcedToday: 1, limit: 2 });
    expect(Date.parse(a.end) - Date.parse(a.start)).toBe(10 * 60_000);

    await publishOpen(svc(), s, 1);
    await svc().waitForLog(
      (l) =>
        l.msg === 'door opened: logged, not alerted' && l.sensorId === s.sensorId && l.why === 'announced',
    );
    const open = (await svc().api('GET', '/api/alerts?status=open')).body as Array<{ sensorId?: string }>;
    expect(open.filter((x) => x.sensorId === s.sensorId)).toEqual([]);

    const second = await postForm(url, { reason: 'garbage', note: '楼下垃圾桶' });
    expect(second.status).toBe(201);
    const done = await second.text();
    expect(done).toContain('已报备');
    expect(done).toContain('倒垃圾: 楼下垃圾桶');
    expect(done).toContain('今天已申报 2 次，上限 2 次');

    const refused = await postJson(url, { reason: 'medical' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      error: {
        code: 'too_many_requests',
        message: '今天已申报 2 次，上限 2 次。如需开门，请联系网格员。',
        details: { count: 2, limit: 2 },
      },
    });
    const refusedPage = await postForm(url, { reason: 'medical' });
    expect(refusedPage.status).toBe(429);
    expect(await refusedPage.text()).toContain('今天已申报 2 次，上限 2 次');
    // Nothing changed: still two today.
    expect(await (await fetch(local(url))).text()).toContain('今天已申报 2 次，上限 2 次');
  });

  it('a reason not on the list, a long note or no body is a 400, as JSON to a program and as a page to a person', async () => {
    const s = await armedHousehold(svc(), 'dongcun', '33');
    const { url } = await newCode(s.householdId);
    const bad = await postJson(url, { reason: 'party' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('validation');
    expect((await postJson(url, { reason: 'other', note: '长'.repeat(61) })).status).toBe(400);
    expect((await postJson(url, { reason: 'other', note: 'a\u0000b' })).status).toBe(400);
    const page = await postForm(url, { reason: 'x' });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('请选择开门原因');
    expect((await fetch(local(url), { method: 'POST' })).status).toBe(400);
    expect(await (await fetch(local(url))).text()).toContain('今天已申报 0 次');
  });

  it('a new code revokes the old one at once: the old URL answers 410 with a page that says so', async () => {
    const s = await armedHousehold(svc(), 'dongcun', '34');
    const old = await newCode(s.householdId);
    const fresh = await newCode(s.householdId, svc().adminToken);
    const gone = await fetch(local(old.url));
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('此二维码已作废');
    const json = await postJson(old.url, { reason: 'delivery' });
    expect(json.status).toBe(410);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('revoked');
    expect((await postJson(fresh.url, { reason: 'delivery' })).status).toBe(201);
    const audit = await auditOf(s.householdId);
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['replace', 'create']);
    expect((await fetch(`${svc().httpUrl}/qr/not-a-code-at-all`)).status).toBe(404);
  });

  it('a code hammered is throttled: the 7th try within 10 minutes is a 429 with Retry-After', async () => {
    const s = await armedHousehold(svc(), 'dongcun', '35');
    const { url } = await newCode(s.householdId);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postJson(url, { reason: 'delivery' })).status);
    expect(statuses).toEqual([201, 201, 429, 429, 429, 429]);
    const throttled = await postJson(url, { reason: 'delivery' });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await throttled.json()) as { error: { message: string } }).error.message).toMatch(/秒后再试/);
  });

  it("the code stops when the household's quarantine ends (410) and when the household is removed (404)", async () => {
    await must(
      svc(),
      'POST',
      '/api/households',
      { id: 'h-36', gridId: 'dongcun', address: '三组 36 号' },
      201,
    );
    const q = await must(
      svc(),
      'POST',
      '/api/quarantines',
      { householdId: 'h-36', start: new Date(Date.now() - 3_600_000).toISOString() },
      201,
    );
    const { url } = await newCode('h-36');
    expect((await fetch(local(url))).status).toBe(200);
    await must(svc(), 'PATCH', `/api/quarantines/${q.id}`, { end: new Date().toISOString() }, 200);
    const ended = await fetch(local(url));
    expect(ended.status).toBe(410);
    expect(await ended.text()).toContain('隔离已结束');
    await must(svc(), 'DELETE', '/api/households/h-36', undefined, 200);
    expect((await fetch(local(url))).status).toBe(404);
  });
});
