import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetrySink } from '../../../ingest/telemetry/createTelemetrySink.ts';
import type { TelemetryPoint } from '../../../ingest/telemetry/telemetrySink.ts';
import { type InfluxdbServer, startInfluxdb } from '../../helpers/influxdb.ts';
import { startVictoriaMetrics, type VictoriaMetricsServer } from '../../helpers/victoriaMetrics.ts';
import { captureLogger, tempDir, waitFor } from './support.ts';

const base = Date.now() - 60_000;

/**
 * One point of each measurement with awkward tag values, then many plain door points. Households
 * are named in Chinese, as grid workers write them: the spool keeps lines as UTF-8 bytes, cuts
 * batches between them and the writer posts those bytes as they are, so a multi-byte character
 * must arrive whole.
 */
function mixedPoints(count: number): TelemetryPoint[] {
  const points: TelemetryPoint[] = [
    {
      measurement: 'heartbeat',
      tags: { sensor: 'S 1,x=y', household: '史村镇 H-1', grid: 'G-1', model: 'MC-38' },
      fields: { battery: 80, rssi: -67.5, open: false, seq: 7 },
      time: base,
    },
    {
      measurement: 'alert',
      tags: { type: 'breach', grid: 'G-1', change: 'opened' },
      fields: { count: 2, severity: 3 },
      time: base,
    },
  ];
  for (let n = 0; n < count; n++) {
    points.push({
      measurement: 'door',
      tags: { sensor: `S-${n % 10}`, household: `东村-${n % 10}`, grid: 'G-1', model: 'MC-38' },
      fields: { open: n % 2 === 0, seq: n },
      time: base + n,
    });
  }
  return points;
}

describe('telemetry sink against InfluxDB 1.x (v1 API, with credentials)', () => {
  let influx: InfluxdbServer;
  const auth = { username: 'writer', password: 's3cret-pw' };

  beforeAll(async () => {
    influx = await startInfluxdb({ db: 'seals', auth });
  });
  afterAll(async () => {
    await influx?.close();
  });

  it('writes every appended point exactly once with its measurement, tags and typed fields', async () => {
    const { logger, lines } = captureLogger('debug');
    const sink = createTelemetrySink(
      {
        url: influx.url,
        api: 'v1',
        db: 'seals',
        rp: 'autogen',
        ...auth,
        spoolDir: tempDir('spool'),
        batchSize: 700,
      },
      logger,
    );
    await sink.start();
    const points = mixedPoints(3000);
    for (let i = 0; i < points.length; i += 100) sink.append(points.slice(i, i + 100));
    await waitFor(() => sink.stats().written === points.length, 'all points written');
    await sink.stop();

    const doors = await influx.rows('door');
    expect(doors).toHaveLength(3000);
    expect(doors.map((row) => row.seq)).toEqual(Array.from({ length: 3000 }, (_, n) => n));
    expect(doors[3]).toMatchObject({
      time: base + 3,
      open: false,
      seq: 3,
      sensor: 'S-3',
      household: '东村-3',
      grid: 'G-1',
    });

    expect(await influx.rows('heartbeat')).toEqual([
      {
        time: base,
        battery: 80,
        rssi: -67.5,
        open: false,
        seq: 7,
        sensor: 'S 1,x=y',
        household: '史村镇 H-1',
        grid: 'G-1',
        model: 'MC-38',
      },
    ]);
    const fieldTypes = await influx.query('SHOW FIELD KEYS FROM "heartbeat"');
    expect(Object.fromEntries(fieldTypes[0]!.values as [string, string][])).toEqual({
      battery: 'float',
      open: 'boolean',
      rssi: 'float',
      seq: 'integer',
    });
    expect(await influx.rows('alert')).toMatchObject([
      { type: 'breach', change: 'opened', count: 2, severity: 3 },
    ]);
    expect(sink.stats()).toMatchObject({ queued: 0, spooledBytes: 0, refused: 0, dropped: 0 });
    expect(JSON.stringify(lines)).not.toContain(auth.password);
  });
});

describe('telemetry sink against VictoriaMetrics (v2 API)', () => {
  let vm: VictoriaMetricsServer;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.close();
  });

  it('writes every appended point exactly once through /api/v2/write', async () => {
    const { logger, lines } = captureLogger('debug');
    const token = 'tok-never-logged';
    const sink = createTelemetrySink(
      {
        url: vm.url,
        api: 'v2',
        token,
        org: 'sealwatch',
        bucket: 'seals',
        spoolDir: tempDir('spool'),
        batchSize: 700,
      },
      logger,
    );
    await sink.start();
    const points = mixedPoints(3000);
    for (let i = 0; i < points.length; i += 100) sink.append(points.slice(i, i + 100));
    await waitFor(() => sink.stats().written === points.length, 'all points written');
    await sink.stop();

    const seqSeries = await vm.export('{__name__="door_seq"}');
    expect(seqSeries).toHaveLength(10);
    const samples = seqSeries.flatMap((s) =>
      s.timestamps.map((t, i) => ({ t, seq: s.values[i], sensor: s.metric.sensor })),
    );
    expect(samples).toHaveLength(3000);
    samples.sort((a, b) => a.t - b.t);
    expect(samples.map((s) => s.seq)).toEqual(Array.from({ length: 3000 }, (_, n) => n));
    expect(samples.every((s) => s.sensor === `S-${s.seq! % 10}`)).toBe(true);
    expect(new Set(seqSeries.map((s) => s.metric.household))).toEqual(
      new Set(Array.from({ length: 10 }, (_, n) => `东村-${n}`)),
    );

    const heartbeat = await vm.export('{__name__=~"heartbeat_.*"}');
    expect(Object.fromEntries(heartbeat.map((s) => [s.metric.__name__, s.values]))).toEqual({
      heartbeat_battery: [80],
      heartbeat_rssi: [-67.5],
      heartbeat_open: [0],
      heartbeat_seq: [7],
    });
    expect(heartbeat[0]!.metric).toMatchObject({
      sensor: 'S 1,x=y',
      household: '史村镇 H-1',
      grid: 'G-1',
      model: 'MC-38',
    });
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});
