import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';
import { startService } from '../../helpers/service.ts';
import { isAlertingOwner } from '../../helpers/sharedStoreRig.ts';
import {
  BRIDGE_STATE,
  connectBridge,
  names,
  OFFLINE,
  provisionGateway,
  reportClosed,
  sleep,
} from '../alerting/gatewayRig.ts';
import { must } from '../alerting/grid.ts';

/**
 * A silent gateway with two embedded-broker nodes on Redis and one PostgreSQL (issue 16.2): the
 * gateway is connected to the node that does not own alerting. Its bridge's `offline`, said or
 * published as its will by that node's broker, reaches the owner through the seal feed as its
 * sensors' relayed status: one gateway alert there, none per sensor.
 */
describe('a silent gateway on the node that does not own alerting', () => {
  let redis: RedisServer;
  let pg: PostgresServer;
  let node1: Awaited<ReturnType<typeof startService>>;
  let node2: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: pg.url,
      HEARTBEAT_INTERVAL: '1s',
      MISSED_HEARTBEATS: '3',
      ESCALATE_AFTER: '10m',
    };
    node1 = await startService({ env });
    node2 = await startService({ env });
    await must(
      node1,
      'POST',
      '/api/grid',
      { id: 'town', name: '史村镇', parentId: null, level: 'township' },
      201,
    );
    for (const v of ['v1', 'v2'])
      await must(node1, 'POST', '/api/grid', { id: v, name: v, parentId: 'town', level: 'village' }, 201);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([node1?.cleanup(), node2?.cleanup()]);
    await redis?.close();
    await pg?.close();
  });

  const setUp = async (gw: string, village: string) => {
    const secret = await provisionGateway(node1, gw, village);
    const owner = (await isAlertingOwner(node1)) ? node1 : node2;
    const elsewhere = owner === node1 ? node2 : node1;
    await eventually(
      async () =>
        ((await elsewhere.api('GET', '/api/gateways')).body.items as Array<{ id: string }>).some(
          (g) => g.id === gw,
        ),
      5_000,
      'registry on both',
    );
    const client = await connectBridge(elsewhere.mqttUrl, gw, secret);
    for (const name of names(gw)) await reportClosed(client, name);
    type Alert = { id: string; gatewayId?: string; type: string; sensorId?: string; gridId: string };
    const alerts = async () => (await owner.api('GET', '/api/alerts')).body as Alert[];
    return {
      client,
      gatewayAlerts: async () => (await alerts()).filter((a) => a.gatewayId === gw),
      /** What the bridge said reached the owner: not inferred from its sensors' silence. */
      cause: async (id: string) =>
        (
          (await owner.api('GET', `/api/alerts/${id}`)).body.history as Array<{
            kind: string;
            detail: { cause?: string };
          }>
        ).find((h) => h.kind === 'opened')?.detail.cause,
      offline: async () =>
        (await alerts()).filter((a) => a.type === 'offline' && a.sensorId?.startsWith(`s-${gw}-`)),
    };
  };

  it('the bridge says offline there: one gateway alert on the owner, none per sensor', async () => {
    const gw = await setUp('gw-n1', 'v1');
    await gw.client.publishAsync(BRIDGE_STATE, OFFLINE, { qos: 1, retain: true });
    await eventually(async () => (await gw.gatewayAlerts()).length > 0, 15_000, 'gateway alert');
    await sleep(4_000);
    expect(await gw.gatewayAlerts()).toMatchObject([{ type: 'outage', gatewayId: 'gw-n1', gridId: 'v1' }]);
    expect(await gw.cause((await gw.gatewayAlerts())[0]!.id)).toBe('gatewayOffline');
    expect(await gw.offline()).toEqual([]);
    gw.client.end(true);
  });

  it('its connection is lost there: that node publishes its will, the same one alert on the owner', async () => {
    const gw = await setUp('gw-n2', 'v2');
    gw.client.stream.destroy();
    await eventually(async () => (await gw.gatewayAlerts()).length > 0, 15_000, 'gateway alert');
    await sleep(4_000);
    expect(await gw.gatewayAlerts()).toMatchObject([{ type: 'outage', gatewayId: 'gw-n2', gridId: 'v2' }]);
    expect(await gw.cause((await gw.gatewayAlerts())[0]!.id)).toBe('gatewayOffline');
    expect(await gw.offline()).toEqual([]);
  });
});
