import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { startInfluxdb } from '../../helpers/influxdb.ts';
import { connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';
import { startVictoriaMetrics } from '../../helpers/victoriaMetrics.ts';

/**
 * Issue 14.1: InfluxDB keeps one point per series and timestamp (a second
 * point with the same series and time overwrites the first: "Duplicate
 * points", https://docs.influxdata.com/influxdb/v1/troubleshooting/frequently-asked-questions/#how-does-influxdb-handle-duplicate-points),
 * and VictoriaMetrics stores milliseconds only and, with
 * `-dedup.minScrapeInterval`, keeps one sample per series and millisecond
 * (https://docs.victoriametrics.com/#deduplication). 5,000 events of one
 * sensor with one and the same device `ts` must still be 5,000 points, in the
 * order they were accepted.
 */
const EVENTS = 5_000;
const WINDOW = 200;

type Service = Awaited<ReturnType<typeof startService>>;

/** Publishes EVENTS door events with seq 1..EVENTS and one device ts, WINDOW QoS 1 messages in flight. */
async function publishSameTs(svc: Service, sensorId: string, secret: string): Promise<void> {
  const client = await connectSensor(svc.mqttUrl, sensorId, secret);
  const ts = Date.now() - 1_000;
  for (let first = 1; first <= EVENTS; first += WINDOW) {
    const sends: Promise<unknown>[] = [];
    for (let seq = first; seq < first + WINDOW && seq <= EVENTS; seq++)
      sends.push(
        client.publishAsync(`seal/${sensorId}/event`, eventPayload(seq % 2 ? 'open' : 'close', seq, ts), {
          qos: 1,
        }),
      );
    await Promise.all(sends);
  }
  await client.endAsync();
}

type Row = { time: number; seq: number };

/** Reads the store until it holds EVENTS points (or 30 s passed); then every point is there, with a time of its own, in seq order. */
async function expectAllInOrder(read: () => Promise<Row[]>, what: string): Promise<void> {
  let rows: Row[] = [];
  await eventually(
    async () => {
      rows = await read();
      return rows.length >= EVENTS;
    },
    30_000,
    what,
  ).catch(() => undefined);
  expect(rows.length).toBe(EVENTS);
  const sorted = [...rows].sort((a, b) => a.time - b.time);
  expect(sorted.length - new Set(sorted.map((r) => r.time)).size, 'points sharing a timestamp').toBe(0);
  expect(sorted.map((r) => r.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
}

describe('one telemetry point per accepted message, even with one and the same ts', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('InfluxDB 1.x: 5,000 events with one ts are 5,000 points, in order', async () => {
    const influx = await startInfluxdb({ db: 'seals' });
    cleanups.push(() => influx.close());
    const svc = await startService({ env: { INFLUX_URL: influx.url, INFLUX_API: 'v1', INFLUX_DB: 'seals' } });
    cleanups.push(() => svc.cleanup());
    const sensor = await provisionArmedSensor(svc, { sensor: 'same-ts-1' });

    await publishSameTs(svc, sensor.sensorId, sensor.secret);

    await expectAllInOrder(async () => {
      const series = await influx.query(`SELECT "seq" FROM "door" WHERE "sensor"='same-ts-1'`);
      return (series[0]?.values ?? []).map((v) => ({ time: Number(v[0]), seq: Number(v[1]) }));
    }, `${EVENTS} door points in influxd`);
  });

  it('VictoriaMetrics with one sample per millisecond (dedup on): 5,000 samples, in order', async () => {
    const vm = await startVictoriaMetrics({ dedup: true });
    cleanups.push(() => vm.close());
    const svc = await startService({
      env: {
        INFLUX_URL: vm.url,
        INFLUX_API: 'v2',
        INFLUX_ORG: 'sealwatch',
        INFLUX_BUCKET: 'seals',
        INFLUX_TOKEN: 'x',
      },
    });
    cleanups.push(() => svc.cleanup());
    const sensor = await provisionArmedSensor(svc, { sensor: 'same-ts-2' });

    await publishSameTs(svc, sensor.sensorId, sensor.secret);

    await expectAllInOrder(async () => {
      const [series] = await vm.export('{__name__="door_seq",sensor="same-ts-2"}');
      return (series?.timestamps ?? []).map((time, i) => ({ time, seq: series!.values[i]! }));
    }, `${EVENTS} door_seq samples in VictoriaMetrics`);
  });
});
