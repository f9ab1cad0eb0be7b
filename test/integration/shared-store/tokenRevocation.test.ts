import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, connectClient } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { startService } from '../../helpers/service.ts';

/**
 * Two instances on one PostgreSQL (DATABASE_URL), each with its embedded broker: a token revoked
 * through one is refused by the other at once, and the other closes its MQTT sessions too.
 */
describe('token revocation across instances sharing PostgreSQL', () => {
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
});
