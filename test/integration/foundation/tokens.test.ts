import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { closed, connectClient, connectRefusal } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

/**
 * API tokens through the running service: listed without their values, revoked (401 at once,
 * MQTT service sessions closed), expiring, and the initial admin token that cannot be revoked
 * into a service nobody can administer.
 */
describe('API tokens: list, revoke, expire', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  const clients: MqttClient[] = [];

  const issue = async (body: Record<string, unknown>, as?: string) => {
    const r = await svc.api('POST', '/api/tokens', body, as);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; token: string; status: string; expiresAt: string | null };
  };
  const me = async (token: string) => (await svc.api('GET', '/api/me', undefined, token)).status;
  const serviceClient = async (token: string, clientId: string) => {
    const c = await connectClient(svc.mqttUrl, { clientId, username: 'token', password: token });
    clients.push(c);
    return c;
  };

  /** Opens GET /api/events; `ended` resolves when the service ends the stream. */
  const eventStream = async (token: string): Promise<{ ended: Promise<void> }> => {
    const res = await fetch(`${svc.httpUrl}/api/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const ended = (async () => {
      while (!(await reader.read()).done);
    })();
    return { ended };
  };
  const within = <T>(p: Promise<T>, ms: number, what: string) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms),
      ),
    ]);

  beforeAll(async () => {
    svc = await startService();
    for (const [id, parentId] of [
      ['county', null],
      ['town-a', 'county'],
      ['town-b', 'county'],
      ['village-a1', 'town-a'],
    ] as const) {
      expect((await svc.api('POST', '/api/grid', { id, name: id, parentId, level: 'x' })).status).toBe(201);
    }
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await svc?.cleanup();
  });

  it('lists tokens in the caller’s scope without their values or hashes', async () => {
    const worker = await issue({ role: 'worker', gridId: 'village-a1', name: 'worker a1' });
    const monitorB = await issue({ role: 'monitor', gridId: 'town-b', name: 'monitor b' });
    const adminA = await issue({ role: 'admin', gridId: 'town-a', name: 'admin a' });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const tech = await issue({ role: 'technician', gridId: null, name: 'tech', expiresAt });
    expect(tech.expiresAt).toBe(expiresAt);
    expect(tech.status).toBe('active');

    const all = await svc.api('GET', '/api/tokens?limit=1000');
    expect(all.status).toBe(200);
    const byId = new Map(all.body.items.map((t: { id: string }) => [t.id, t]));
    expect(byId.get(worker.id)).toEqual({
      id: worker.id,
      name: 'worker a1',
      role: 'worker',
      gridId: 'village-a1',
      status: 'active',
      createdAt: expect.any(String),
      expiresAt: null,
      revokedAt: null,
      current: false,
    });
    expect(byId.get(tech.id)).toMatchObject({ expiresAt, status: 'active' });
    const initial = all.body.items.find((t: { name: string }) => t.name === 'initial admin');
    expect(initial).toMatchObject({ role: 'admin', gridId: null, current: true });

    // No value and no hash of any token, in any answer.
    for (const t of [worker, monitorB, adminA, tech, { token: svc.adminToken }]) {
      const text = JSON.stringify(all.body);
      expect(text).not.toContain(t.token);
      expect(text).not.toContain(createHash('sha256').update(t.token).digest('hex'));
    }
    for (const t of all.body.items) expect(Object.keys(t).sort()).not.toContain('token');

    // A scoped admin sees its subtree only: no whole-grid tokens, nothing of town-b.
    const scoped = await svc.api('GET', '/api/tokens', undefined, adminA.token);
    expect(scoped.status).toBe(200);
    expect(scoped.body.items.map((t: { id: string }) => t.id).sort()).toEqual([worker.id, adminA.id].sort());
    expect(scoped.body.items.find((t: { id: string }) => t.id === adminA.id).current).toBe(true);

    // Filter by status; bad filter and other roles are refused.
    const active = await svc.api('GET', '/api/tokens?status=revoked');
    expect(active.body.items).toEqual([]);
    expect((await svc.api('GET', '/api/tokens?status=gone')).status).toBe(400);
    expect((await svc.api('GET', '/api/tokens', undefined, monitorB.token)).status).toBe(403);
    expect((await svc.api('GET', '/api/tokens', undefined, null)).status).toBe(401);
  });

  it('a revoked token answers 401 at once and its MQTT service session is closed', async () => {
    const tech = await issue({ role: 'technician', gridId: 'town-a', name: 'laptop at the door' });
    const monitor = await issue({ role: 'monitor', gridId: 'town-a', name: 'wall screen' });
    expect(await me(tech.token)).toBe(200);
    const session = await serviceClient(tech.token, 'commission-laptop');
    await session.subscribeAsync('seal/#');
    const other = await serviceClient(monitor.token, 'wall-screen');
    const techStream = await eventStream(tech.token);
    const monitorStream = await eventStream(monitor.token);
    let monitorStreamEnded = false;
    void monitorStream.ended.then(() => {
      monitorStreamEnded = true;
    });

    const revoked = await svc.api('DELETE', `/api/tokens/${tech.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: tech.id, status: 'revoked', revokedAt: expect.any(String) });
    expect(JSON.stringify(revoked.body)).not.toContain(tech.token);
    // The next request, with no pause in between.
    const refused = await svc.api('GET', '/api/me', undefined, tech.token);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    await closed(session);
    await within(techStream.ended, 2_000, 'the revoked token’s event stream ends');
    expect(other.connected).toBe(true);
    expect(monitorStreamEnded).toBe(false);
    expect(await me(monitor.token)).toBe(200);
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'again', username: 'token', password: tech.token }),
    ).toBe('code 4');
    const closedForRevocation = async () =>
      metricValue(
        (await svc.api('GET', '/metrics', undefined, null)).body as string,
        'sealwatch_mqtt_disconnects',
        { reason: 'token_revoked' },
      );
    await eventually(async () => (await closedForRevocation()) === 1, 5_000, 'counted as token_revoked');

    // Revoking again changes nothing; the list shows it revoked, with its first revocation time.
    const again = await svc.api('DELETE', `/api/tokens/${tech.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    const listed = await svc.api('GET', '/api/tokens?status=revoked');
    expect(listed.body.items.map((t: { id: string }) => t.id)).toEqual([tech.id]);
  });

  it('revocation is scoped: another subtree’s token or an unknown id is 404, and stays valid', async () => {
    const adminA = await issue({ role: 'admin', gridId: 'town-a', name: 'admin a 2' });
    const workerB = await issue({ role: 'worker', gridId: 'town-b', name: 'worker b' });
    const workerA = await issue({ role: 'worker', gridId: 'village-a1', name: 'worker a 2' });
    for (const id of [workerB.id, 'no-such-token']) {
      const r = await svc.api('DELETE', `/api/tokens/${id}`, undefined, adminA.token);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    // Nor the whole-grid initial admin token.
    const initial = (await svc.api('GET', '/api/tokens?limit=1000')).body.items.find(
      (t: { name: string }) => t.name === 'initial admin',
    );
    expect((await svc.api('DELETE', `/api/tokens/${initial.id}`, undefined, adminA.token)).status).toBe(404);
    expect(await me(workerB.token)).toBe(200);
    expect((await svc.api('DELETE', `/api/tokens/${workerA.id}`, undefined, workerA.token)).status).toBe(403);
    expect((await svc.api('DELETE', `/api/tokens/${workerA.id}`, undefined, adminA.token)).status).toBe(200);
    expect(await me(workerA.token)).toBe(401);
  });

  it('expiresAt: must be RFC 3339 and in the future; an expired token answers 401, its session closes, CONNECT is refused', async () => {
    for (const [expiresAt, message] of [
      [new Date(Date.now() - 1_000).toISOString(), /expiresAt: must lie in the future/],
      ['tomorrow', /expiresAt/],
      ['2030-01-01 08:00', /expiresAt/],
      [1_900_000_000_000, /expiresAt/],
    ] as const) {
      const r = await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: null, name: 'x', expiresAt });
      expect(r.status, String(expiresAt)).toBe(400);
      expect(r.body.error.code).toBe('validation');
      expect(r.body.error.message).toMatch(message);
    }

    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const monitor = await issue({ role: 'monitor', gridId: 'town-a', name: 'short-lived', expiresAt });
    expect(await me(monitor.token)).toBe(200);
    const c = await serviceClient(monitor.token, 'short-lived-screen');
    expect(c.connected).toBe(true);
    const stream = await eventStream(monitor.token);
    await eventually(async () => (await me(monitor.token)) === 401, 5_000, 'expired token refused');
    // The session and the event stream it opened before end with it.
    await closed(c, 2_000);
    await within(stream.ended, 2_000, 'the expired token’s event stream ends');
    const listed = await svc.api('GET', '/api/tokens?status=expired');
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: monitor.id, status: 'expired', expiresAt }),
    ]);
    expect(
      await connectRefusal(svc.mqttUrl, {
        clientId: 'short-lived-2',
        username: 'token',
        password: monitor.token,
      }),
    ).toBe('code 4');
  });

  it('the last whole-grid admin token that never expires cannot be revoked; rotating it works and survives a restart', async () => {
    const initial = (await svc.api('GET', '/api/tokens?limit=1000')).body.items.find(
      (t: { name: string }) => t.name === 'initial admin',
    );
    // An expiring or a scoped admin does not count as the one that keeps the service administrable.
    const refused = await svc.api('DELETE', `/api/tokens/${initial.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    expect(refused.body.error.message).toMatch(/last whole-grid admin token .* issue another one/);
    expect(await me(svc.adminToken)).toBe(200);

    const successor = await issue({ role: 'admin', gridId: null, name: 'successor' });
    expect((await svc.api('DELETE', `/api/tokens/${initial.id}`)).status).toBe(200);
    expect(await me(svc.adminToken)).toBe(401);
    // Now the successor is the last one.
    const last = await svc.api('DELETE', `/api/tokens/${successor.id}`, undefined, successor.token);
    expect(last.status).toBe(409);

    // DATA_DIR/admin-token still holds the revoked value: a restart keeps it revoked (and starts).
    expect(readFileSync(join(svc.dataDir, 'admin-token'), 'utf8').trim()).toBe(svc.adminToken);
    await svc.restart();
    await svc.waitForLog((l) => /admin token in this file was revoked/.test(String(l.msg)));
    expect(await me(svc.adminToken)).toBe(401);
    expect(await me(successor.token)).toBe(200);
  });

  it('the OpenAPI document has the token routes and the expiresAt field', async () => {
    const doc = (await svc.api('GET', '/docs/json', undefined, null)).body;
    expect(Object.keys(doc.paths['/api/tokens']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/tokens/{tokenId}'])).toEqual(['delete']);
    const body = doc.paths['/api/tokens'].post.requestBody.content['application/json'].schema;
    expect(body.properties.expiresAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(body.required).not.toContain('expiresAt');
  });

  it('token values never reach the log', () => {
    const text = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    expect(text).not.toContain(svc.adminToken);
    expect(text).not.toMatch(/sw_[A-Za-z0-9_-]{43}/);
  });
});
