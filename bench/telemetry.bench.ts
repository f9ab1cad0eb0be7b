import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import pino from 'pino';
import { createTelemetrySink } from '../ingest/telemetry/createTelemetrySink.ts';
import type { TelemetryPoint, TelemetrySink } from '../ingest/telemetry/telemetrySink.ts';
import { startVictoriaMetrics, type VictoriaMetricsServer } from '../test/helpers/victoriaMetrics.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

/**
 * Telemetry writer against a real VictoriaMetrics (v2 write API):
 * 1. sustained throughput of our sink (spool + batches) beside the raw
 *    @influxdata/influxdb-client WriteApi writing the same points, same run;
 * 2. an outage at a steady 5,000 points/s: points lost, peak spool, catch-up.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function point(run: string, n: number, base: number): TelemetryPoint {
  return {
    measurement: 'heartbeat',
    tags: { sensor: `S-${n % 100}`, household: `H-${n % 100}`, grid: `G-${n % 7}`, model: 'MC-38', run },
    fields: { battery: 50 + (n % 50), rssi: -40 - (n % 60), open: n % 3 === 0, seq: n },
    time: base + n,
  };
}

async function storedCount(vm: VictoriaMetricsServer, run: string): Promise<number> {
  const series = await vm.export(`{__name__="heartbeat_seq",run="${run}"}`);
  return series.reduce((sum, s) => sum + s.values.length, 0);
}

function newSink(vm: VictoriaMetricsServer, spoolDir: string): TelemetrySink {
  return createTelemetrySink(
    { url: vm.url, api: 'v2', token: 'bench', org: 'bench', bucket: 'bench', spoolDir },
    pino({ level: 'error' }),
  );
}

async function waitDrained(sink: TelemetrySink, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (sink.stats().queued > 0) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/**
 * Ingest appends the points of one group commit at once (bench/ingest.bench.ts measured 185 to 414
 * messages per commit at full load; one per commit when the load is light): `group` points per append.
 */
const INGEST_GROUP = 200;

async function sinkThroughput(
  vm: VictoriaMetricsServer,
  run: string,
  count: number,
  base: number,
  dir: string,
  group: number,
) {
  const sink = newSink(vm, path.join(dir, run));
  await sink.start();
  const started = performance.now();
  let points: TelemetryPoint[] = [];
  for (let n = 0; n < count; n++) {
    points.push(point(run, n, base));
    if (points.length === group) {
      sink.append(points);
      points = [];
    }
    if (n % 2000 === 1999) await tick();
  }
  if (points.length > 0) sink.append(points);
  const appendedAt = performance.now();
  await waitDrained(sink, 300_000);
  const seconds = (performance.now() - started) / 1000;
  await sink.stop();
  return { rate: count / seconds, appendRate: count / ((appendedAt - started) / 1000) };
}

async function rawClientThroughput(vm: VictoriaMetricsServer, run: string, count: number, base: number) {
  const writeApi = new InfluxDB({ url: vm.url, token: 'bench' }).getWriteApi('bench', 'bench', 'ms', {
    batchSize: 5000,
    flushInterval: 1000,
    maxBufferLines: count,
  });
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    const p = point(run, n, base);
    const row = new Point(p.measurement).timestamp(p.time);
    for (const [key, value] of Object.entries(p.tags)) row.tag(key, value);
    row
      .floatField('battery', p.fields.battery as number)
      .floatField('rssi', p.fields.rssi as number)
      .booleanField('open', p.fields.open as boolean)
      .intField('seq', p.fields.seq as number);
    writeApi.writePoint(row);
    if (n % 2000 === 1999) await tick();
  }
  await writeApi.close();
  return count / ((performance.now() - started) / 1000);
}

async function outageScenario(
  vm: VictoriaMetricsServer,
  dir: string,
  quick: boolean,
  log: (line: string) => void,
) {
  const ratePerSecond = 5000;
  const warmMs = 3000;
  const outageMs = quick ? 20_000 : 600_000;
  const afterMs = quick ? 15_000 : 120_000;
  const base = Date.now() - 86_400_000 + 10_000_000;
  const sink = newSink(vm, path.join(dir, 'outage'));
  await sink.start();

  let appended = 0;
  let peakSpool = 0;
  const started = performance.now();
  let phase: 'warm' | 'outage' | 'after' = 'warm';
  let restartedAt = 0;
  let queuedAtRestart = 0;
  let writtenAtRestart = 0;
  let caughtUpAt = 0;
  let writtenAtCaughtUp = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });

  // Paced live ingest: 50 points every 10 ms, one append per point.
  while (performance.now() - started < warmMs + outageMs + afterMs) {
    const elapsed = performance.now() - started;
    const due = Math.floor((elapsed / 1000) * ratePerSecond);
    while (appended < due) sink.append([point('outage', appended++, base)]);
    const stats = sink.stats();
    peakSpool = Math.max(peakSpool, stats.spooledBytes);
    if (phase === 'warm' && elapsed >= warmMs) {
      phase = 'outage';
      log(`telemetry bench: stopping VictoriaMetrics for ${outageMs / 1000} s at ${appended} points`);
      await vm.stop();
    } else if (phase === 'outage' && elapsed >= warmMs + outageMs) {
      phase = 'after';
      await vm.start();
      restartedAt = performance.now();
      queuedAtRestart = sink.stats().queued;
      writtenAtRestart = sink.stats().written;
      loopDelay.enable();
      log(`telemetry bench: VictoriaMetrics back; ${queuedAtRestart} points spooled`);
    } else if (phase === 'after' && caughtUpAt === 0 && stats.queued < ratePerSecond / 10) {
      caughtUpAt = performance.now();
      writtenAtCaughtUp = stats.written;
    }
    await sleep(10);
  }
  loopDelay.disable();
  await waitDrained(sink, 60_000);
  const stats = sink.stats();
  await sink.stop();
  const stored = await storedCount(vm, 'outage');
  const catchUpSeconds = caughtUpAt ? (caughtUpAt - restartedAt) / 1000 : Number.NaN;
  return {
    appended,
    lost: appended - stored,
    dropped: stats.dropped,
    peakSpoolBytes: peakSpool,
    queuedAtRestart,
    catchUpSeconds,
    catchUpWriteRate: caughtUpAt ? (writtenAtCaughtUp - writtenAtRestart) / catchUpSeconds : Number.NaN,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
  };
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = ctx.quick ? 200_000 : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealwatch-bench-telemetry-'));
  // Dedup makes a re-sent batch count once, as InfluxDB does for the same series and time.
  const vm = await startVictoriaMetrics({ dedup: true });
  try {
    const base = Date.now() - 86_400_000;
    ctx.log(
      `telemetry bench: ${count} points through our sink (${INGEST_GROUP} per append, as ingest), the raw client, the raw client, our sink (so that a drift of the machine's load cancels), then our sink one point per append`,
    );
    const ours1 = await sinkThroughput(vm, 'sink', count, base, dir, INGEST_GROUP);
    const raw1 = await rawClientThroughput(vm, 'raw', count, base);
    const raw2 = await rawClientThroughput(vm, 'raw2', count, base);
    const ours2 = await sinkThroughput(vm, 'sink2', count, base, dir, INGEST_GROUP);
    const single = await sinkThroughput(vm, 'single', count, base, dir, 1);
    const ours = {
      rate: (ours1.rate + ours2.rate) / 2,
      appendRate: (ours1.appendRate + ours2.appendRate) / 2,
    };
    const raw = (raw1 + raw2) / 2;
    ctx.log(
      `  sink ${Math.round(ours1.rate)} + ${Math.round(ours2.rate)}, raw ${Math.round(raw1)} + ${Math.round(raw2)}, sink one per append ${Math.round(single.rate)} points/s`,
    );
    const oursStored = (await storedCount(vm, 'sink')) + (await storedCount(vm, 'sink2'));
    const rawStored = (await storedCount(vm, 'raw')) + (await storedCount(vm, 'raw2'));
    const singleStored = await storedCount(vm, 'single');
    ctx.log('telemetry bench: outage scenario at 5,000 points/s');
    const outage = await outageScenario(vm, dir, ctx.quick, ctx.log);
    const round = (x: number) => Math.round(x);
    return {
      name: 'telemetry',
      metrics: {
        points: count,
        sinkPointsPerSec: round(ours.rate),
        sinkAppendPointsPerSec: round(ours.appendRate),
        rawClientPointsPerSec: round(raw),
        sinkVsRawRatio: Number((ours.rate / raw).toFixed(2)),
        sinkVsRawRatioPerRound: [ours1.rate / raw1, ours2.rate / raw2].map((r) => r.toFixed(2)).join(' '),
        sinkOnePointPerAppendPointsPerSec: round(single.rate),
        sinkOnePointPerAppendVsRawRatio: Number((single.rate / raw).toFixed(2)),
        sinkStored: oursStored,
        rawStored,
        sinkOnePointPerAppendStored: singleStored,
        outageSeconds: ctx.quick ? 20 : 600,
        outageAppended: outage.appended,
        outagePointsLost: outage.lost,
        outageDropped: outage.dropped,
        outagePeakSpoolBytes: outage.peakSpoolBytes,
        outageSpooledPointsAtRestart: outage.queuedAtRestart,
        catchUpSeconds: Number(outage.catchUpSeconds.toFixed(1)),
        catchUpWritePointsPerSec: round(outage.catchUpWriteRate),
        catchUpLoopDelayP99Ms: Number(outage.loopDelayP99Ms.toFixed(1)),
        catchUpLoopDelayMaxMs: Number(outage.loopDelayMaxMs.toFixed(1)),
      },
      notes: [
        'VictoriaMetrics 1.79 (Debian) on 127.0.0.1 through /api/v2/write; both writers batch 5,000 points.',
        `Sink and raw client each run twice, in the order sink, raw, raw, sink; rates are the means (points stored count both runs). The sink takes ${INGEST_GROUP} points per append as ingest does under load; "one point per append" is the light-load case (one message per group commit), a write(2) per point.`,
        'Sink rate is from first append until the spool is empty (every point on disk first); raw rate until WriteApi.close().',
        'Catch-up: from the server restart until the backlog is under 0.1 s of live load, live ingest continuing at 5,000 points/s.',
        'Loop delay during catch-up shows whether replay starves live ingest (same process, same event loop).',
      ],
    };
  } finally {
    await vm.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
