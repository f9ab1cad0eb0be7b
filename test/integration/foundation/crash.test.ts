import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';
import { openEventStream } from '../../helpers/sse.ts';

describe('crash safety of acknowledged messages', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let sensor: { sensorId: string; secret: string };

  beforeAll(async () => {
    svc = await startService();
    sensor = await provisionArmedSensor(svc, { sensor: 'crash-1' });
  });
  afterAll(async () => svc?.cleanup());

  it('kill -9 right after a PUBACK, then restart: the state holds the message', async () => {
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    await client.publishAsync('seal/crash-1/heartbeat', heartbeatPayload(1, 'closed', 64, -80), { qos: 1 });
    await client.publishAsync('seal/crash-1/event', eventPayload('open', 2), { qos: 1 });
    // The PUBACK has arrived: kill at once, with no chance to flush.
    await svc.kill();
    client.end(true);
    await svc.restart();
    const state = (await svc.api('GET', '/api/seals/crash-1')).body;
    expect(state).toMatchObject({ door: 'open', battery: 64, rssi: -80, armed: true });
    const history = (await svc.api('GET', '/api/seals/crash-1/history')).body.items;
    expect(history.map((e: { type: string; seq: number }) => `${e.type}:${e.seq}`)).toContain('open:2');
  });

  it('every acknowledged message of a burst survives kill -9', async () => {
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    const acked: number[] = [];
    const base = Date.now();
    const sends = [];
    for (let seq = 100; seq < 400; seq++) {
      const type = seq % 2 === 0 ? 'open' : 'close';
      sends.push(
        client
          .publishAsync('seal/crash-1/event', eventPayload(type, seq, base + seq), { qos: 1 })
          .then(() => acked.push(seq))
          .catch(() => undefined),
      );
    }
    // Kill in the middle of the burst.
    while (acked.length < 50) await new Promise((r) => setTimeout(r, 1));
    await svc.kill();
    client.end(true);
    await Promise.allSettled(sends);
    await svc.restart();
    const history = (await svc.api('GET', '/api/seals/crash-1/history?limit=1000')).body.items as {
      seq: number;
    }[];
    const stored = new Set(history.map((e) => e.seq));
    const lost = acked.filter((seq) => !stored.has(seq));
    expect(acked.length).toBeGreaterThanOrEqual(50);
    expect(lost).toEqual([]);
  });

  it('restarts on the same data after a clean stop with the same admin token', async () => {
    const token = svc.adminToken;
    await svc.restart();
    expect((await svc.api('GET', '/api/seals/crash-1', undefined, token)).status).toBe(200);
  });

  it('SIGTERM with sensors and a live page connected: the service stops and exits 0 before its 10 s deadline', async () => {
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    const stream = openEventStream(`${svc.httpUrl}/api/events`, svc.adminToken);
    expect(await stream.opened).toBe(200);
    // Exit code 0: the service's own 10 s stop deadline (which exits 1) did not fire.
    expect(await svc.stop()).toBe(0);
    stream.close();
    client.end(true);
    await svc.restart();
  });
});
