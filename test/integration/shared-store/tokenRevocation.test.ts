import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, connectClient, connectRefusal, connectSensor } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { startService } from '../../helpers/service.ts';

/**
 * Two instances on one PostgreSQL (DATABASE_URL), each with its embedded broker: a token revoked
 * through one is refused by the other at once, and the other closes its MQTT sessions too. The same
 * for a gateway whose secret is replaced (issue 16.3).
 */
describe('token revocation and replaced device secrets across instances sharing PostgreSQL', () => {
  let pg: PostgresServer;
  let a: Awaited<ReturnType<typeof startService>>;
  let b: Awaited<ReturnType<typeof startService>>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    const env = { DATABASE_URL: pg.url };
    a = await startService({ env });
    b = await startService({ env });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await Promise.all([a?.cleanup(), b?.cleanup()]);
    await pg?.close();
  });

  it('revoked on A: B answers 401 on the next request and closes the session it holds', async () => {
    const issued = await a.api('POST', '/api/tokens', { role: 'technician', gridId: null, name: 'on B' });
    expect(issued.status).toBe(201);
    const token = issued.body.token as string;
    expect((await b.api('GET', '/api/me', undefined, token)).status).toBe(200);
    const session = await connectClient(b.mqttUrl, {
      clientId: 'tech-on-b',
      username: 'token',
      password: token,
    });
    clients.push(session);
    await session.subscribeAsync('seal/#');

    expect((await a.api('DELETE', `/api/tokens/${issued.body.id}`)).status).toBe(200);
    expect((await b.api('GET', '/api/me', undefined, token)).status).toBe(401);
    expect((await a.api('GET', '/api/me', undefined, token)).status).toBe(401);
    await closed(session);
    // B lists it revoked too: one registry.
    const listed = await b.api('GET', '/api/tokens?status=revoked');
    expect(listed.body.items.map((t: { id: string }) => t.id)).toEqual([issued.body.id]);
  });

  it('a gateway secret replaced on A: B closes the session it holds and refuses the old secret', async () => {
    await a.api('POST', '/api/grid', { id: 'v', name: '东村', parentId: null, level: 'village' });
    await a.api('POST', '/api/households', { id: 'h1', gridId: 'v', address: '1 号' });
    await a.api('POST', '/api/sensors', { id: 'zb-1', householdId: 'h1' });
    const gw = await a.api('POST', '/api/gateways', { id: 'gw-1', name: 'bridge', sensorIds: ['zb-1'] });
    expect(gw.status).toBe(201);
    const old = gw.body.secret as string;
    // B learns of the gateway through the shared registry's change notification.
    let session: MqttClient | undefined;
    for (let i = 0; i < 50 && !session; i++) {
      session = await connectSensor(b.mqttUrl, 'gw-1', old, { reconnectPeriod: 0 }).catch(() => undefined);
      if (!session) await new Promise((r) => setTimeout(r, 100));
    }
    if (!session) throw new Error('B never accepted the new gateway');
    clients.push(session);
    const closing = closed(session);
    const replaced = await a.api('POST', '/api/gateways/gw-1/secret');
    expect(replaced.status).toBe(200);
    await closing;
    expect(await connectRefusal(b.mqttUrl, { clientId: 'gw-1', username: 'gw-1', password: old })).toBe(
      'code 4',
    );
    const fresh = await connectSensor(b.mqttUrl, 'gw-1', replaced.body.secret);
    clients.push(fresh);
  });
});
