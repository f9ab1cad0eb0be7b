import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelemetrySink } from '../../../ingest/telemetry/createTelemetrySink.ts';
import type { TelemetrySink } from '../../../ingest/telemetry/telemetrySink.ts';
import { freePort, type InfluxdbServer, startInfluxdb } from '../../helpers/influxdb.ts';
import { captureLogger, doorPoint, tempDir, waitFor } from './support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('telemetry sink through outages, restarts and crashes (InfluxDB 1.x)', () => {
  let influx: InfluxdbServer;
  let db: string;
  let dbCounter = 0;
  const sinks: TelemetrySink[] = [];

  beforeAll(async () => {
    influx = await startInfluxdb();
  });
  afterAll(async () => {
    await influx?.close();
  });
  beforeEach(async () => {
    // A fresh database per test, on the one server.
    db = `t${++dbCounter}`;
    await influx.query(`CREATE DATABASE "${db}"`);
  });
  afterEach(async () => {
    try {
      for (const sink of sinks.splice(0)) await sink.stop();
    } finally {
      if (!(await fetch(`${influx.url}/ping`).catch(() => null))) await influx.start();
    }
  });

  function sinkFor(spoolDir: string, extra: Partial<Parameters<typeof createTelemetrySink>[0]> = {}) {
    const captured = captureLogger();
    const sink = createTelemetrySink(
      {
        url: influx.url,
        api: 'v1',
        db,
        spoolDir,
        batchSize: 250,
        flushIntervalMs: 20,
        stopTimeoutMs: 500,
        ...extra,
      },
      captured.logger,
    );
    sinks.push(sink);
    return { sink, logs: captured.lines };
  }

  async function storedSeqs(sensor: string): Promise<number[]> {
    const series = await influx.query(
      `SELECT seq FROM "${db}"."autogen"."door" WHERE sensor='${sensor}' ORDER BY time`,
    );
    return (series[0]?.values ?? []).map((row) => row[1] as number);
  }

  it('keeps every point, in order, when the server goes down mid-stream and comes back', async () => {
    const base = Date.now() - 3_600_000;
    // Small memory tail: the backlog is read back from the segment files.
    const { sink } = sinkFor(tempDir('spool'), { memoryQueueMaxPoints: 300, segmentBytes: 64 * 1024 });
    await sink.start();
    let n = 0;
    // Each 10 consecutive points of the "order" series share one timestamp: each is kept, moved to
    // the next free millisecond of its series in append order (seriesTimes.ts), so none is lost to
    // InfluxDB's one point per series and time, and time order is append order.
    const appendSome = (count: number) => {
      for (let i = 0; i < count; i++, n++) {
        sink.append([
          doorPoint(n, base),
          { ...doorPoint(n, base, 'S-order'), time: base + Math.floor(n / 10) },
        ]);
      }
    };
    for (let round = 0; round < 20; round++) {
      appendSome(50);
      await sleep(10);
    }
    await influx.stop();
    for (let round = 0; round < 60; round++) {
      appendSome(50);
      await sleep(10);
    }
    expect(sink.stats().queued).toBeGreaterThan(0);
    expect(sink.stats().retried).toBeGreaterThan(0);
    await influx.start();
    for (let round = 0; round < 20; round++) {
      appendSome(50);
      await sleep(10);
    }
    await waitFor(() => sink.stats().queued === 0, 'spool drained');

    expect(await storedSeqs('S-1')).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(await storedSeqs('S-order')).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(sink.stats().movedInTime).toBe(n - 1);
    expect(sink.stats()).toMatchObject({ dropped: 0, refused: 0, spooledBytes: 0 });
  });

  it('replays everything a stopped sink left spooled when a new sink starts on the same directory', async () => {
    const base = Date.now() - 3_600_000;
    const spoolDir = tempDir('spool');
    const first = sinkFor(spoolDir).sink;
    await first.start();
    for (let i = 0; i < 1000; i++) first.append([doorPoint(i, base)]);
    await waitFor(() => first.stats().queued === 0, 'first thousand written');
    await influx.stop();
    for (let i = 1000; i < 3000; i++) first.append([doorPoint(i, base)]);
    await first.stop(); // the service restarts while InfluxDB is still down
    expect(first.stats().queued).toBe(2000);

    await influx.start();
    const second = sinkFor(spoolDir).sink;
    expect(second.stats().queued).toBe(2000);
    await second.start();
    for (let i = 3000; i < 3500; i++) second.append([doorPoint(i, base)]);
    await waitFor(() => second.stats().queued === 0, 'spool replayed');
    expect(await storedSeqs('S-1')).toEqual(Array.from({ length: 3500 }, (_, i) => i));
  });

  it('loses no point whose append returned when the process is killed with SIGKILL', async () => {
    const base = Date.now() - 3_600_000;
    const spoolDir = tempDir('spool');
    const fixture = path.join(import.meta.dirname, 'fixtures', 'appendUntilKilled.ts');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, spoolDir, influx.url, db, String(base)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let lastReported = 0;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const last = lines.at(-1);
      if (last) lastReported = Number(last);
    });
    let exitedEarly = false;
    const exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        exitedEarly = true;
        resolve(code);
      }),
    );
    try {
      await waitFor(() => lastReported >= 30_000 || exitedEarly, 'the child to append 30,000 points', 40_000);
      expect(exitedEarly, 'the fixture exited by itself').toBe(false);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // Counts printed after the last one we read may exist too: only this one is certain.
    const acknowledged = lastReported;

    const { sink } = sinkFor(spoolDir);
    await sink.start();
    await waitFor(() => sink.stats().queued === 0, 'spool replayed');
    const seqs = await storedSeqs('S-kill');
    expect(seqs.length).toBeGreaterThanOrEqual(acknowledged);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
  }, 90_000);

  it('lands the good points around a poison point the server refuses, and counts the refusal', async () => {
    const base = Date.now() - 3_600_000;
    const { sink, logs } = sinkFor(tempDir('spool'), { batchSize: 5000, flushIntervalMs: 200 });
    await sink.start();
    // `extra` becomes a boolean field in this shard; a float `extra` later is a type conflict (400 partial write).
    sink.append([{ ...doorPoint(0, base), fields: { open: true, seq: 0, extra: true } }]);
    await waitFor(() => sink.stats().written === 1, 'schema point written');
    const points = [];
    for (let i = 1; i <= 1000; i++) {
      const poison = i === 17 || i === 500 || i === 999;
      points.push(poison ? { ...doorPoint(i, base, 'S-poison'), fields: { extra: 5 } } : doorPoint(i, base));
    }
    sink.append(points);
    await waitFor(() => sink.stats().queued === 0, 'batch settled');

    expect(sink.stats().refused).toBe(3);
    expect(await storedSeqs('S-1')).toEqual(
      Array.from({ length: 1001 }, (_, i) => i).filter((i) => ![17, 500, 999].includes(i)),
    );
    const refusedLog = logs.find((l) => l.msg === 'telemetry point refused as invalid; dropped');
    expect(String(refusedLog?.reason)).toContain('conflict');
    expect(String(refusedLog?.point)).toContain('S-poison');
  });

  it('drops the oldest points past the spool bound, counts them, and delivers the newest', async () => {
    const base = Date.now() - 3_600_000;
    await influx.stop();
    const { sink, logs } = sinkFor(tempDir('spool'), { spoolMaxBytes: 64 * 1024 });
    await sink.start();
    for (let i = 0; i < 5000; i++) sink.append([doorPoint(i, base)]);
    const { dropped, queued, spooledBytes } = sink.stats();
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + queued).toBe(5000);
    expect(spooledBytes).toBeLessThanOrEqual(64 * 1024);
    expect(
      logs.some((l) => l.level === 50 && typeof l.droppedPoints === 'number' && l.droppedPoints > 0),
    ).toBe(true);

    await influx.start();
    await waitFor(() => sink.stats().queued === 0, 'rest delivered');
    expect(await storedSeqs('S-1')).toEqual(Array.from({ length: queued }, (_, i) => dropped + i));
  });

  it('keeps retrying, without losing points, while nothing listens at the URL', async () => {
    const port = await freePort();
    const captured = captureLogger();
    const sink = createTelemetrySink(
      {
        url: `http://127.0.0.1:${port}`,
        api: 'v1',
        db,
        spoolDir: tempDir('spool'),
        flushIntervalMs: 10,
        stopTimeoutMs: 300,
      },
      captured.logger,
    );
    sinks.push(sink);
    await sink.start();
    sink.append([doorPoint(0, Date.now()), doorPoint(1, Date.now())]);
    await waitFor(() => sink.stats().retried >= 4, 'a few retries');
    expect(sink.stats()).toMatchObject({ queued: 2, written: 0, dropped: 0 });
    expect(captured.lines.some((l) => String(l.reason).includes('ECONNREFUSED'))).toBe(true);
  });
});
