import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { closed, connectSensor, heartbeatPayload } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';
import { isAlertingOwner } from '../../helpers/sharedStoreRig.ts';

/**
 * Two embedded-broker nodes on Redis and one PostgreSQL (the compose profile "redis-nodes"):
 * provisioned through node 1 only, a sensor connected to either node is one seal to both, and
 * silence is judged on every node's messages: a sensor alive on the other node is not offline.
 */
describe('two embedded-broker nodes on Redis sharing PostgreSQL', () => {
  let redis: RedisServer;
  let pg: PostgresServer;
  let node1: Awaited<ReturnType<typeof startService>>;
  let node2: Awaited<ReturnType<typeof startService>>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
    // Offline after 3 s of silence, so the test sees both sides of it quickly.
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: pg.url,
      HEARTBEAT_INTERVAL: '1s',
      MISSED_HEARTBEATS: '3',
    };
    node1 = await startService({ env });
    node2 = await startService({ env });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await Promise.all([node1?.cleanup(), node2?.cleanup()]);
    await redis?.close();
    await pg?.close();
  });

  it('a sensor heard on one node is online on both and never offline; a silent one is offline once', async () => {
    const alive = await provisionArmedSensor(node1, { sensor: 'rn-alive', grid: 'rn' });
    const silent = await provisionArmedSensor(node1, { sensor: 'rn-silent', grid: 'rn' });
    const owner = (await isAlertingOwner(node1)) ? node1 : node2;
    // Each sensor on the node that does not own alerting, so every fact reaches it through the feed.
    const elsewhere = owner === node1 ? node2 : node1;
    await eventually(
      async () => (await elsewhere.api('GET', '/api/seals/rn-silent')).status === 200,
      5_000,
      'registry on both',
    );
    const a = await connectSensor(elsewhere.mqttUrl, alive.sensorId, alive.secret);
    const s = await connectSensor(elsewhere.mqttUrl, silent.sensorId, silent.secret);
    clients.push(a, s);
    await s.publishAsync('seal/rn-silent/heartbeat', heartbeatPayload(1, 'closed'), { qos: 1 });
    const offlineAlerts = async (sensorId: string) =>
      ((await owner.api('GET', '/api/alerts?type=offline')).body as Array<{ sensorId?: string }>).filter(
        (x) => x.sensorId === sensorId,
      ).length;
    const started = Date.now();
    for (let seq = 1; Date.now() - started < 9_000; seq++) {
      await a.publishAsync('seal/rn-alive/heartbeat', heartbeatPayload(seq, 'closed'), { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const node of [node1, node2]) {
      expect((await node.api('GET', '/api/seals/rn-alive')).body).toMatchObject({
        online: true,
        door: 'closed',
      });
    }
    expect(await offlineAlerts('rn-alive')).toBe(0);
    await eventually(async () => (await offlineAlerts('rn-silent')) === 1, 10_000, 'rn-silent offline');
    // Through the node that does not own alerting too (forwarded).
    const viaOther = (await elsewhere.api('GET', '/api/alerts?type=offline')).body as Array<{
      sensorId?: string;
    }>;
    expect(viaOther.filter((x) => x.sensorId === 'rn-silent')).toHaveLength(1);
  });

  it('a sensor replaced through the node that does not own alerting: the owner resolves its alerts as replaced; a new battery is forwarded', async () => {
    const old = await provisionArmedSensor(node1, { sensor: 'rn-old', grid: 'rn', household: 'h-rn-rep' });
    const owner = (await isAlertingOwner(node1)) ? node1 : node2;
    const elsewhere = owner === node1 ? node2 : node1;
    await eventually(
      async () => (await elsewhere.api('GET', '/api/seals/rn-old')).status === 200,
      5_000,
      'registry on both',
    );
    const lowBattery = async (sensorId: string) =>
      (
        (await owner.api('GET', '/api/alerts?type=lowBattery')).body as Array<{
          id: string;
          sensorId?: string;
          status: string;
          autoResolveReason?: string;
        }>
      ).find((x) => x.sensorId === sensorId);
    const oldClient = await connectSensor(elsewhere.mqttUrl, old.sensorId, old.secret);
    await oldClient.publishAsync('seal/rn-old/heartbeat', heartbeatPayload(1, 'closed', 5), { qos: 1 });
    await eventually(
      async () => (await lowBattery('rn-old'))?.status === 'open',
      10_000,
      'rn-old low battery',
    );

    const sessionEnds = closed(oldClient);
    const replaced = await elsewhere.api('POST', '/api/sensors/rn-old/replace', { newId: 'rn-new' });
    expect(replaced.status).toBe(201);
    await sessionEnds;
    await eventually(
      async () => (await lowBattery('rn-old'))?.autoResolveReason === 'sensorReplaced',
      10_000,
      'the owner resolves the old seal’s alert as replaced',
    );

    // The new seal, on the owner's node, alerts for its own low battery; a new battery said on the
    // other node reaches the owner's engine.
    await eventually(
      async () => (await owner.api('GET', '/api/seals/rn-new')).status === 200,
      5_000,
      'new seal',
    );
    const fresh = await connectSensor(owner.mqttUrl, 'rn-new', replaced.body.secret as string);
    clients.push(fresh);
    await fresh.publishAsync('seal/rn-new/heartbeat', heartbeatPayload(1, 'closed', 6), { qos: 1 });
    await eventually(
      async () => (await lowBattery('rn-new'))?.status === 'open',
      10_000,
      'rn-new low battery',
    );
    const renewed = await elsewhere.api('POST', '/api/sensors/rn-new/battery');
    expect(renewed.status).toBe(200);
    expect(renewed.body.resolvedAlertId).toBe((await lowBattery('rn-new'))?.id);
    expect(await lowBattery('rn-new')).toMatchObject({
      status: 'resolved',
      autoResolveReason: 'batteryReplaced',
    });
  });
});
