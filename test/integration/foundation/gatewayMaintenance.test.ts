import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.ts';
import { closed, connectRefusal, connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

/**
 * Issue 16, item 3: gateways can be maintained. A technician changes a gateway's sensor list,
 * replaces its secret (the old one is refused at once and its open session closed) or removes it;
 * every change is scoped like the gateway list and recorded in the audit trail with actor and time.
 * Through the real service: MQTT over TCP, the HTTP API.
 */
describe('gateway maintenance', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let secret = '';
  let technicianOfNorth = '';
  const seal = async (id: string) => (await svc.api('GET', `/api/seals/${id}`)).body;

  beforeAll(async () => {
    svc = await startService();
    await svc.api('POST', '/api/grid', { id: 'county', name: '县', parentId: null, level: 'county' });
    for (const village of ['north', 'south']) {
      await svc.api('POST', '/api/grid', {
        id: village,
        name: village,
        parentId: 'county',
        level: 'village',
      });
    }
    for (const [sensor, village] of [
      ['zb-1', 'north'],
      ['zb-2', 'north'],
      ['zb-3', 'north'],
      ['zb-s', 'south'],
    ] as const) {
      await svc.api('POST', '/api/households', { id: `h-${sensor}`, gridId: village, address: sensor });
      await svc.api('POST', '/api/sensors', { id: sensor, householdId: `h-${sensor}` });
    }
    const gw = await svc.api('POST', '/api/gateways', {
      id: 'gw-1',
      name: 'North bridge',
      sensorIds: ['zb-1'],
    });
    expect(gw.status).toBe(201);
    secret = gw.body.secret;
    technicianOfNorth = (
      await svc.api('POST', '/api/tokens', { role: 'technician', gridId: 'north', name: 'north installer' })
    ).body.token;
  });
  afterAll(async () => svc?.cleanup());

  it('a new sensor list applies to the live session at once, without dropping it', async () => {
    const gw = await connectSensor(svc.mqttUrl, 'gw-1', secret);
    let dropped = false;
    gw.on('close', () => {
      dropped = true;
    });
    await gw.publishAsync('seal/zb-1/event', eventPayload('open', 1), { qos: 1 });
    expect((await seal('zb-1')).door).toBe('open');

    const patched = await svc.api(
      'PATCH',
      '/api/gateways/gw-1',
      { sensorIds: ['zb-1', 'zb-2'] },
      technicianOfNorth,
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'gw-1', name: 'North bridge', sensorIds: ['zb-1', 'zb-2'] });
    expect(patched.body.secret).toBeUndefined();
    await gw.publishAsync('seal/zb-2/event', eventPayload('open', 1), { qos: 1 });
    expect((await seal('zb-2')).door).toBe('open');
    expect(dropped).toBe(false);

    // Taken off the list: the same session may no longer publish for it (the ACL closes it).
    await svc.api('PATCH', '/api/gateways/gw-1', { sensorIds: ['zb-2'] }, technicianOfNorth);
    const closing = closed(gw);
    gw.publish('seal/zb-1/event', eventPayload('close', 2), { qos: 1 });
    await closing;
    gw.end(true);
    expect((await seal('zb-1')).door).toBe('open');
  });

  it('refuses a list naming an unknown sensor or one outside the caller’s scope, and changes nothing', async () => {
    for (const sensorIds of [
      ['zb-2', 'nope'],
      ['zb-2', 'zb-s'],
    ]) {
      const res = await svc.api('PATCH', '/api/gateways/gw-1', { sensorIds }, technicianOfNorth);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/unknown sensors: (nope|zb-s)/);
    }
    const empty = await svc.api('PATCH', '/api/gateways/gw-1', {}, technicianOfNorth);
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).toMatch(/give name or sensorIds/);
    const list = (await svc.api('GET', '/api/gateways')).body.items;
    expect(list).toEqual([expect.objectContaining({ id: 'gw-1', sensorIds: ['zb-2'] })]);
  });

  it('a replaced secret is refused at once and the open session is closed', async () => {
    const gw = await connectSensor(svc.mqttUrl, 'gw-1', secret, { reconnectPeriod: 0 });
    const closing = closed(gw);
    const replaced = await svc.api('POST', '/api/gateways/gw-1/secret', undefined, technicianOfNorth);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: 'gw-1', sensorIds: ['zb-2'] });
    expect(replaced.body.secret).toMatch(/.{20,}/);
    expect(replaced.body.secret).not.toBe(secret);
    await closing;
    gw.end(true);
    expect(await connectRefusal(svc.mqttUrl, { clientId: 'gw-1', username: 'gw-1', password: secret })).toBe(
      'code 4',
    );
    const fresh = await connectSensor(svc.mqttUrl, 'gw-1', replaced.body.secret);
    await fresh.publishAsync('seal/zb-2/event', eventPayload('close', 2), { qos: 1 });
    expect((await seal('zb-2')).door).toBe('closed');
    await fresh.endAsync();
    secret = replaced.body.secret;
    const metrics = (await svc.api('GET', '/metrics', undefined, null)).body as string;
    expect(metricValue(metrics, 'sealwatch_mqtt_disconnects', { reason: 'secret_replaced' })).toBe(1);
  });

  it('removing a gateway closes its session and refuses it; its sensors stay', async () => {
    const gw = await connectSensor(svc.mqttUrl, 'gw-1', secret, { reconnectPeriod: 0 });
    const closing = closed(gw);
    const removed = await svc.api('DELETE', '/api/gateways/gw-1', undefined, technicianOfNorth);
    expect(removed.status).toBe(200);
    await closing;
    gw.end(true);
    expect(await connectRefusal(svc.mqttUrl, { clientId: 'gw-1', username: 'gw-1', password: secret })).toBe(
      'code 4',
    );
    expect((await svc.api('GET', '/api/gateways')).body.items).toEqual([]);
    expect((await svc.api('GET', '/api/sensors/zb-2')).status).toBe(200);
    expect((await svc.api('DELETE', '/api/gateways/gw-1')).status).toBe(404);
  });

  it('the audit trail names each change with actor, time, before and after, and never a secret', async () => {
    const res = await svc.api('GET', '/api/audit?entity=gateway&id=gw-1');
    expect(res.status).toBe(200);
    const entries = res.body as Array<Record<string, unknown>>;
    expect(res.headers['x-total-count']).toBe('5');
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['delete', 'north installer'],
      ['replaceSecret', 'north installer'],
      ['update', 'north installer'],
      ['update', 'north installer'],
      ['create', 'initial admin'],
    ]);
    expect(entries[3]).toMatchObject({
      entity: 'gateway',
      id: 'gw-1',
      gridId: 'north',
      before: { sensorIds: ['zb-1'] },
      after: { sensorIds: ['zb-1', 'zb-2'] },
    });
    for (const e of entries) expect(Date.now() - Date.parse(e.at as string)).toBeLessThan(120_000);
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/secret"|secretHash|\$7\$|pbkdf2/);
    expect(text).not.toContain(secret);

    // A scoped admin of the south sees nothing of the north's gateway; the actor filter works.
    const south = (
      await svc.api('POST', '/api/tokens', { role: 'admin', gridId: 'south', name: 'south admin' })
    ).body.token;
    expect((await svc.api('GET', '/api/audit?entity=gateway', undefined, south)).body).toEqual([]);
    const north = (
      await svc.api('POST', '/api/tokens', { role: 'admin', gridId: 'north', name: 'north admin' })
    ).body.token;
    expect((await svc.api('GET', '/api/audit?entity=gateway', undefined, north)).body).toHaveLength(5);
    const byAdmin = await svc.api(
      'GET',
      `/api/audit?actor=${encodeURIComponent('initial admin')}&entity=gateway`,
    );
    expect(byAdmin.body.map((e: { action: string }) => e.action)).toEqual(['create']);
    const bad = await svc.api('GET', '/api/audit?from=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/from/);
  });
});
