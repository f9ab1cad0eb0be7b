import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';

/**
 * What EMQX's HTTP authenticator and authorizer get when they call SealWatch
 * (broker/EXTERNAL.md): the request bodies as the documented EMQX templates
 * send them, with a whole-grid admin token in the Authorization header.
 */
describe('broker hooks for EMQX (/api/broker/*)', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let sensorSecret = '';
  let gatewaySecret = '';
  let scopedAdmin = '';

  beforeAll(async () => {
    svc = await startService({ env: { MQTT_USERNAME: 'sealwatch', MQTT_PASSWORD: 'consumer-password' } });
    await svc.api('POST', '/api/grid', { id: 'county', name: '县', parentId: null, level: 'county' });
    await svc.api('POST', '/api/grid', { id: 'town-a', name: '甲镇', parentId: 'county', level: 'township' });
    await svc.api('POST', '/api/households', { id: 'h-1', gridId: 'town-a', address: '1 号' });
    sensorSecret = (await svc.api('POST', '/api/sensors', { id: 'door-1', householdId: 'h-1' })).body.secret;
    await svc.api('POST', '/api/sensors', { id: 'zig-1', householdId: 'h-1', friendlyName: 'hall_door' });
    gatewaySecret = (await svc.api('POST', '/api/gateways', { id: 'gw-1', name: 'Z', sensorIds: ['zig-1'] }))
      .body.secret;
    scopedAdmin = (
      await svc.api('POST', '/api/tokens', { role: 'admin', gridId: 'town-a', name: 'town admin' })
    ).body.token;
  });
  afterAll(async () => svc?.cleanup());

  const authn = (body: Record<string, string>, token?: string) =>
    svc.api('POST', '/api/broker/authenticate', { peerhost: '10.1.2.3', ...body }, token);
  const authz = (body: Record<string, string>) => svc.api('POST', '/api/broker/authorize', body);

  it('authentication: device secrets and client id = username, the service login, tokens left to EMQX', async () => {
    const device = { clientid: 'door-1', username: 'door-1', password: sensorSecret };
    expect((await authn(device)).body).toEqual({ result: 'allow', is_superuser: false });
    expect((await authn({ ...device, password: 'wrong' })).body.result).toBe('deny');
    expect((await authn({ ...device, clientid: 'zig-1' })).body.result).toBe('deny');
    expect((await authn({ clientid: 'gw-1', username: 'gw-1', password: gatewaySecret })).body.result).toBe(
      'allow',
    );
    const consumer = { clientid: 'sealwatch-1', username: 'sealwatch', password: 'consumer-password' };
    expect((await authn(consumer)).body.result).toBe('allow');
    expect((await authn({ ...consumer, password: '' })).body.result).toBe('deny');
    expect((await authn({ clientid: 'c', username: 'token', password: svc.adminToken })).body.result).toBe(
      'ignore',
    );
  });

  it('authorization: devices to their own topics, gateways to their sensors, the service to its shares', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ clientid: 'door-1', username: 'door-1', topic: 'seal/door-1/event', action: 'publish' }, 'allow'],
      [{ clientid: 'door-1', username: 'door-1', topic: 'seal/zig-1/event', action: 'publish' }, 'deny'],
      [{ clientid: 'door-1', username: 'door-1', topic: 'seal/door-1/config', action: 'subscribe' }, 'allow'],
      [{ clientid: 'gw-1', username: 'gw-1', topic: 'zigbee2mqtt/hall_door', action: 'publish' }, 'allow'],
      [{ clientid: 'gw-1', username: 'gw-1', topic: 'zigbee2mqtt/other', action: 'publish' }, 'deny'],
      [
        {
          clientid: 'sealwatch-1',
          username: 'sealwatch',
          topic: '$share/sealwatch/seal/+/event',
          action: 'subscribe',
        },
        'allow',
      ],
      [{ clientid: 'sealwatch-1', username: 'sealwatch', topic: 'seal/#', action: 'subscribe' }, 'deny'],
      [{ clientid: 'someone', username: 'someone', topic: 'seal/#', action: 'subscribe' }, 'ignore'],
    ];
    for (const [body, result] of cases) {
      expect((await authz(body)).body, JSON.stringify(body)).toEqual({ result });
    }
  });

  it('EMQX sends empty strings for missing placeholders; bad bodies are 400', async () => {
    expect((await authn({ clientid: 'x', username: '', password: '' })).body.result).toBe('deny');
    expect(
      (await svc.api('POST', '/api/broker/authorize', { clientid: 'x', topic: 't', action: 'all' })).status,
    ).toBe(400);
  });

  it('only a whole-grid admin may ask: an admin scoped to a town is refused', async () => {
    const res = await authn({ clientid: 'door-1', username: 'door-1', password: sensorSecret }, scopedAdmin);
    expect(res.status).toBe(403);
  });

  it('GET /api/gateways lists gateways without secrets, for broker-config', async () => {
    const res = await svc.api('GET', '/api/gateways');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ id: 'gw-1', sensorIds: ['zig-1'] })]);
    expect(JSON.stringify(res.body)).not.toMatch(/secret|scrypt|\$7\$/i);
  });
});
