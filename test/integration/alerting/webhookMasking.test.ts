/**
 * A worker's webhook URL holds the robot's key and signing secret: no answer (create, list, change,
 * remove, CSV export, the live page's worker list) and no log line shows it, to any role; the stored
 * URL still receives the deliveries, also after a change that did not touch it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startService } from '../../helpers/service.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from './grid.ts';

const KEY = 'KEYk3y0fTheR0b0t';
const SECRET = 'SECs1gn1ngSecret';

describe('webhooks are never shown', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let hook: WebhookReceiver;
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  let robot: string;
  let masked: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    rig = await startAlertingRig({ ESCALATE_AFTER: '1h' });
    ({ svc, hook } = rig);
    robot = `${hook.url}/robot/send?access_token=${KEY}#format=generic&secret=${SECRET}`;
    masked = `${new URL(hook.url).origin}/…${SECRET.slice(-4)}`;
    for (const role of ['admin', 'monitor', 'worker', 'technician'])
      tokens[role] = (
        await must(svc, 'POST', '/api/tokens', { role, gridId: 'dongcun', name: `${role} d` }, 201)
      ).token;
  });
  afterAll(async () => rig?.close());

  const leaks = (text: string) => text.includes(KEY) || text.includes(SECRET);

  it('create, change and remove answer with scheme, host and the last 4 characters only', async () => {
    const created = await svc.api('POST', '/api/workers', {
      id: 'w-robot',
      name: '机器人',
      gridId: 'dongcun',
      role: 'leader',
      webhook: robot,
    });
    expect(created.status).toBe(201);
    expect(created.body.webhook).toBe(masked);
    const changed = await svc.api('PATCH', '/api/workers/w-robot', { name: '机器人二' });
    expect(changed.body).toMatchObject({ name: '机器人二', webhook: masked });
    const removed = await svc.api('DELETE', '/api/workers/w-robot');
    expect(removed.status).toBe(200);
    expect(removed.body.webhook).toBe(masked);
    for (const answer of [created, changed, removed]) expect(leaks(JSON.stringify(answer.body))).toBe(false);
  });

  it('the list shows every role, admin included, only the masked webhook; so does the CSV export', async () => {
    await must(svc, 'PATCH', '/api/workers/w-dong', { webhook: robot }, 200);
    for (const [role, token] of Object.entries(tokens)) {
      const list = await svc.api('GET', '/api/workers?limit=1000', undefined, token);
      expect(list.status, role).toBe(200);
      expect(leaks(JSON.stringify(list.body)), role).toBe(false);
      const dong = list.body.items.find((w: { id: string }) => w.id === 'w-dong');
      expect(dong?.webhook, role).toBe(masked);
    }
    const csv = await fetch(`${svc.httpUrl}/api/export/workers`, {
      headers: { authorization: `Bearer ${svc.adminToken}` },
    });
    const text = await csv.text();
    expect(csv.status).toBe(200);
    expect(leaks(text)).toBe(false);
    expect(text).toContain(masked);
  });

  it('a masked webhook copied back is refused (400), on PATCH and in an import, and the stored one stays', async () => {
    const patch = await svc.api('PATCH', '/api/workers/w-dong', { webhook: masked });
    expect(patch.status).toBe(400);
    expect(patch.body.error.message).toMatch(/masked/);
    const file = `id,name,gridId,role,webhook\nw-copy,复制,dongcun,worker,${masked}\n`;
    const imported = await fetch(`${svc.httpUrl}/api/import/workers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
      body: file,
    });
    expect(imported.status).toBe(400);
    expect(await imported.text()).toMatch(/masked/);
  });

  it('a change that leaves the webhook alone keeps delivering to the full stored URL, and no log line shows it', async () => {
    await must(
      svc,
      'PATCH',
      '/api/workers/w-dong',
      { name: '王网格员（改）', phone: '+86 138 0000 0000' },
      200,
    );
    const s = await armedHousehold(svc, 'dongcun', '31');
    await publishOpen(svc, s, 1);
    const req = await hook.waitFor((r) => r.path.startsWith('/robot/send'));
    // The key travels in the query as the robot expects; the fragment (the signing secret) never does.
    expect(req.path).toBe(`/robot/send?access_token=${KEY}`);
    expect(req.headers['x-sealwatch-signature']).toBeTruthy();
    expect(JSON.stringify(req.json)).toContain('31 号');
    const alert = (await svc.api('GET', '/api/alerts?status=open')).body.find(
      (a: { sensorId?: string }) => a.sensorId === s.sensorId,
    );
    const detail = await svc.api('GET', `/api/alerts/${alert.id}`);
    expect(leaks(JSON.stringify(detail.body))).toBe(false);
    const log = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    expect(leaks(log)).toBe(false);
  });
});
