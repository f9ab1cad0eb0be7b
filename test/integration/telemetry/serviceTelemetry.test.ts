import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { type InfluxdbServer, startInfluxdb } from '../../helpers/influxdb.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';
import { startVictoriaMetrics, type VictoriaMetricsServer } from '../../helpers/victoriaMetrics.ts';

/**
 * The whole path through the running service: MQTT → ingest → spool →
 * InfluxDB. Every accepted message becomes exactly one point; rejected ones
 * none; outages and a kill -9 of the service lose nothing.
 */
describe('telemetry through the service, InfluxDB 1.x (v1 API)', () => {
  let influx: InfluxdbServer;
  let svc: Awaited<ReturnType<typeof startService>>;
  let sensor: { sensorId: string; secret: string; householdId: string; gridId: string };

  const count = async (measurement: string, where = '') => {
    const series = await influx.query(`SELECT count("seq") FROM "${measurement}" ${where}`);
    return Number(series[0]?.values[0]?.[1] ?? 0);
  };

  beforeAll(async () => {
    influx = await startInfluxdb({ db: 'seals' });
    svc = await startService({ env: { INFLUX_URL: influx.url, INFLUX_API: 'v1', INFLUX_DB: 'seals' } });
    sensor = await provisionArmedSensor(svc, { sensor: 'tele-1', grid: 'tele-grid' });
  });
  afterAll(async () => {
    await svc?.cleanup();
    await influx?.close();
  });

  it('writes one point per accepted message with the right measurement, tags and fields; none for rejected ones', async () => {
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    const base = Date.now() - 10_000;
    for (let seq = 1; seq <= 20; seq++) {
      await client.publishAsync(
        'seal/tele-1/event',
        eventPayload(seq % 2 ? 'open' : 'close', seq, base + seq),
        { qos: 1 },
      );
    }
    for (let seq = 21; seq <= 30; seq++) {
      await client.publishAsync(
        'seal/tele-1/heartbeat',
        heartbeatPayload(seq, 'closed', 88, -67, base + seq),
        { qos: 1 },
      );
    }
    await client.publishAsync('seal/tele-1/event', '{bad json', { qos: 1 });
    await client.publishAsync('seal/tele-1/event', JSON.stringify({ type: 'opened', ts: base, seq: 99 }), {
      qos: 1,
    });
    // A duplicate (QoS 1 redelivery) is not a second point.
    await client.publishAsync('seal/tele-1/event', eventPayload('close', 20, base + 20), { qos: 1 });
    await client.endAsync();

    await eventually(async () => (await count('door')) === 20 && (await count('heartbeat')) === 10, 15_000);
    const rows = await influx.rows('heartbeat');
    expect(rows[0]).toMatchObject({
      sensor: 'tele-1',
      household: sensor.householdId,
      grid: 'tele-grid',
      model: 'generic',
      battery: 88,
      rssi: -67,
      open: false,
      seq: 21,
    });
    const doors = await influx.rows('door');
    expect(doors.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(doors[0]).toMatchObject({ open: true, sensor: 'tele-1' });
    // Still exactly 20 after the duplicate and the rejected messages had time to land.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count('door')).toBe(20);
  });

  it('InfluxDB down mid-stream, then back: the count matches exactly and order is kept', async () => {
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    const base = Date.now() - 5_000;
    for (let seq = 101; seq <= 130; seq++) {
      if (seq === 111) await influx.stop();
      await client.publishAsync(
        'seal/tele-1/event',
        eventPayload(seq % 2 ? 'open' : 'close', seq, base + seq),
        { qos: 1 },
      );
    }
    await client.endAsync();
    await new Promise((r) => setTimeout(r, 1500));
    await influx.start();
    await eventually(async () => (await count('door', 'WHERE seq >= 101')) === 30, 30_000);
    const seqs = (await influx.rows('door')).map((r) => r.seq as number).filter((s) => s >= 101);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 101));
  });

  it('kill -9 of the service while points wait in the spool: after restart they all arrive', async () => {
    await influx.stop();
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    const base = Date.now() - 3_000;
    for (let seq = 201; seq <= 240; seq++) {
      await client.publishAsync(
        'seal/tele-1/event',
        eventPayload(seq % 2 ? 'open' : 'close', seq, base + seq),
        { qos: 1 },
      );
    }
    client.end(true);
    await svc.kill();
    await influx.start();
    await svc.restart();
    await eventually(async () => (await count('door', 'WHERE seq >= 201')) === 40, 30_000);
    const spool = (await svc.api('GET', '/metrics', undefined, null)).body as string;
    expect(spool).toMatch(/sealwatch_telemetry\{counter="written"\} \d+/);
  });
});

describe('telemetry through the service, v2 write API (VictoriaMetrics)', () => {
  let vm: VictoriaMetricsServer;
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    svc = await startService({
      env: {
        INFLUX_URL: vm.url,
        INFLUX_API: 'v2',
        INFLUX_ORG: 'sealwatch',
        INFLUX_BUCKET: 'seals',
        INFLUX_TOKEN: 'unused-by-vm',
      },
    });
  });
  afterAll(async () => {
    await svc?.cleanup();
    await vm?.close();
  });

  it('every accepted message becomes one point', async () => {
    const sensor = await provisionArmedSensor(svc, { sensor: 'tele-v2', grid: 'v2-grid' });
    const client = await connectSensor(svc.mqttUrl, sensor.sensorId, sensor.secret);
    const base = Date.now() - 10_000;
    for (let seq = 1; seq <= 15; seq++) {
      await client.publishAsync(
        'seal/tele-v2/event',
        eventPayload(seq % 2 ? 'open' : 'close', seq, base + seq * 10),
        { qos: 1 },
      );
    }
    await client.publishAsync('seal/tele-v2/heartbeat', heartbeatPayload(16, 'closed', 55, -80, base + 200), {
      qos: 1,
    });
    await client.endAsync();
    let door: Awaited<ReturnType<VictoriaMetricsServer['export']>> = [];
    await eventually(async () => {
      door = await vm.export('{__name__="door_open",sensor="tele-v2"}');
      return (door[0]?.values.length ?? 0) === 15;
    }, 20_000);
    expect(door[0]?.metric).toMatchObject({ sensor: 'tele-v2', grid: 'v2-grid', model: 'generic' });
    expect(door[0]?.values).toEqual(Array.from({ length: 15 }, (_, i) => (i % 2 === 0 ? 1 : 0)));
    const battery = await vm.export('{__name__="heartbeat_battery",sensor="tele-v2"}');
    expect(battery[0]?.values).toEqual([55]);
  });
});
