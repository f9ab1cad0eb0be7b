import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';
import { freePort } from '../../helpers/serverProcess.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';
import { connectRecording, seqsOf } from './support.ts';

// REDIS_URL needs DATABASE_URL (refused at start without it): one PostgreSQL for the whole file.
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.close();
});

describe('REDIS_URL: Redis down at start', () => {
  it('the service does not start, and says which variable points where (password hidden)', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-noredis-'));
    try {
      const failure = await startService({
        dataDir,
        env: {
          REDIS_URL: `redis://:hunter2@127.0.0.1:${port}`,
          DATABASE_URL: await pg.createDatabase('redis_down'),
        },
      }).then(
        async (svc) => {
          await svc.cleanup();
          return null;
        },
        (err: Error) => err.message,
      );
      expect(failure).toContain('service exited with 1 before ready');
      expect(failure).toContain(
        `REDIS_URL redis://:***@127.0.0.1:${port} cannot be reached (connect ECONNREFUSED`,
      );
      expect(failure).not.toContain('hunter2');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('REDIS_URL: Redis lost and back at runtime', () => {
  let redis: RedisServer;
  let svc: Awaited<ReturnType<typeof startService>>;
  let door: { sensorId: string; secret: string };
  let token: string;

  beforeAll(async () => {
    redis = await startRedis();
    svc = await startService({ env: { REDIS_URL: redis.url, DATABASE_URL: pg.url } });
    door = await provisionArmedSensor(svc, { sensor: 'ro-door-1', grid: 'ro' });
    token = (await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: null, name: 'outage' })).body
      .token;
  });
  afterAll(async () => {
    await svc?.cleanup();
    await redis?.close();
  });

  const metrics = async () => (await svc.api('GET', '/metrics')).body as string;

  it('is logged and shown by /readyz and /metrics; connected sensors are still ingested; all recovers with Redis', async () => {
    const pid = svc.pid;
    const watcher = await connectRecording(svc.mqttUrl, {
      clientId: 'ro-watch',
      username: 'token',
      password: token,
    });
    await watcher.client.subscribeAsync('seal/+/event', { qos: 1 });
    const sensor = await connectSensor(svc.mqttUrl, door.sensorId, door.secret);
    const topic = `seal/${door.sensorId}/event`;
    await sensor.publishAsync(topic, eventPayload('close', 1), { qos: 1 });
    await eventually(() => seqsOf(watcher.received, topic).includes(1), 5_000, 'message before the outage');

    await redis.stop();
    await svc.waitForLog((l) => String(l.msg).startsWith('Redis connection lost'), 10_000);
    expect((await svc.api('GET', '/readyz', undefined, null)).status).toBe(503);
    expect((await svc.api('GET', '/healthz', undefined, null)).status).toBe(200);
    expect(await metrics()).toContain('sealwatch_redis{counter="up"} 0');

    // The sensor's message is committed and acknowledged; only sharing it through Redis fails.
    await sensor.publishAsync(topic, eventPayload('open', 2), { qos: 1 });
    await eventually(
      async () => (await svc.api('GET', `/api/seals/${door.sensorId}`)).body.door === 'open',
      5_000,
      'the open ingested during the outage',
    );
    await eventually(
      async () => metricValue(await metrics(), 'sealwatch_redis', { counter: 'forward_failures' }) >= 1,
      10_000,
      'the failed forward counted',
    );
    expect(sensor.connected).toBe(true);

    await redis.start();
    await svc.waitForLog((l) => l.msg === 'Redis connection back', 15_000);
    await eventually(
      async () => (await svc.api('GET', '/readyz', undefined, null)).status === 200,
      5_000,
      'ready again',
    );
    const after = await metrics();
    expect(metricValue(after, 'sealwatch_redis', { counter: 'up' })).toBe(1);
    expect(metricValue(after, 'sealwatch_redis', { counter: 'connection_losses' })).toBe(1);

    // The bus subscriptions came back with the connection: forwarding works again.
    await sensor.publishAsync(topic, eventPayload('close', 3), { qos: 1 });
    await eventually(() => seqsOf(watcher.received, topic).includes(3), 5_000, 'message after the outage');
    expect(svc.pid).toBe(pid);
    await sensor.endAsync();
    await watcher.client.endAsync();
  });
});
