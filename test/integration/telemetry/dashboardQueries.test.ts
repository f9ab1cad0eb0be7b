import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetrySink } from '../../../ingest/telemetry/createTelemetrySink.ts';
import type { TelemetryPoint } from '../../../ingest/telemetry/telemetrySink.ts';
import { type InfluxdbServer, startInfluxdb } from '../../helpers/influxdb.ts';
import { dashboardQueries, influxDashboards, loadDashboards } from '../compose/dashboards.ts';
import { captureLogger, tempDir, waitFor } from './support.ts';

/**
 * Grafana's macros and variables as Grafana would expand them for "last hour, all grid nodes", the
 * roll-up by township (`$level`, over all its nodes: `$node`).
 */
function expand(query: string, level = 'township'): string {
  return query
    .replaceAll('$level', level)
    .replaceAll('$node', '.*')
    .replaceAll('$timeFilter', 'time > now() - 1h')
    .replaceAll('$__interval_ms', '60000')
    .replaceAll('$__interval', '1m')
    .replaceAll('$grid', '.*')
    .replaceAll('$sensor', 'S-3');
}

describe('Grafana dashboard queries against a real InfluxDB 1.x fed by the telemetry writer', () => {
  let influx: InfluxdbServer;

  beforeAll(async () => {
    influx = await startInfluxdb({ db: 'sealwatch' });
    const sink = createTelemetrySink(
      { url: influx.url, api: 'v1', db: 'sealwatch', spoolDir: tempDir('spool'), flushIntervalMs: 20 },
      captureLogger().logger,
    );
    await sink.start();
    const now = Date.now();
    const points: TelemetryPoint[] = [];
    for (let s = 0; s < 20; s++) {
      // Two villages G-0 and G-1 of one township T-1, with their level tags as ingest writes them.
      const levels = { county: 'C-1', township: 'T-1', village: `G-${s % 2}` };
      const tags = { ...levels, sensor: `S-${s}`, household: `H-${s}`, grid: `G-${s % 2}`, model: 'MC-38' };
      for (let minute = 30; minute > 0; minute--) {
        const time = now - minute * 60_000 + s;
        points.push({
          measurement: 'heartbeat',
          tags,
          fields: { battery: s < 3 ? 15 : 90 - minute, rssi: -50 - s, open: s % 5 === 0, seq: 30 - minute },
          time,
        });
      }
      points.push({
        measurement: 'door',
        tags,
        fields: { open: true, seq: 100 },
        time: now - 10 * 60_000 + s,
      });
      points.push({
        measurement: 'door',
        tags,
        fields: { open: false, seq: 101 },
        time: now - 9 * 60_000 + s,
      });
    }
    for (const type of ['offline', 'breach']) {
      points.push({
        measurement: 'alert',
        tags: {
          county: 'C-1',
          township: 'T-1',
          village: 'G-1',
          type,
          grid: 'G-1',
          change: 'opened',
          sensor: 'S-3',
        },
        fields: { count: 1, severity: 3 },
        time: now - 5 * 60_000,
      });
    }
    sink.append(points);
    await waitFor(() => sink.stats().queued === 0, 'sample telemetry written');
    await sink.stop();
  });
  afterAll(async () => {
    await influx?.close();
  });

  const queries = dashboardQueries(influxDashboards(loadDashboards()));

  // A time column, then values; SHOW TAG KEYS (the level variable) answers keys alone.
  it.each(queries)('$where answers with data', async ({ query }) => {
    const series = await influx.query(expand(query));
    expect(series.length).toBeGreaterThan(0);
    expect(
      series.some((s) => s.values.some((row) => row.slice(row.length > 1 ? 1 : 0).some((v) => v !== null))),
    ).toBe(true);
  });

  /** The last interval's value per grid node (or per node of `level`) of one fleet panel. */
  async function lastPerGrid(title: string, level?: string): Promise<Record<string, unknown>> {
    const fleet = loadDashboards().find((d) => d.file === 'fleet-overview.json')!;
    const panel = fleet.json.panels.find((p) => p.title === title)!;
    const series = (await influx.query(expand(panel.targets![0]!.query, level))) as unknown as {
      tags: Record<string, string>;
      values: unknown[][];
    }[];
    return Object.fromEntries(
      series.map((s) => [
        s.tags[level ?? 'grid'],
        s.values.filter((row) => row[1] !== null && row[1] !== 0).at(-1)?.[1],
      ]),
    );
  }

  it('counts seals per grid node as the fleet overview means them', async () => {
    // Open: S-0, S-10 (G-0) and S-5, S-15 (G-1). Low battery: S-0, S-2 (G-0) and S-1 (G-1).
    expect(await lastPerGrid('Open doors per grid node')).toEqual({ 'G-0': 2, 'G-1': 2 });
    expect(await lastPerGrid('Sealed (door closed) per grid node')).toEqual({ 'G-0': 8, 'G-1': 8 });
    expect(await lastPerGrid('Low battery (< 20 %) per grid node')).toEqual({ 'G-0': 2, 'G-1': 1 });
    expect(await lastPerGrid('Reporting seals per grid node')).toEqual({ 'G-0': 10, 'G-1': 10 });
  });

  it('rolls the two villages up into their township, and lists the levels for the level variable', async () => {
    // The same seals as above: G-0 and G-1 summed into T-1.
    expect(await lastPerGrid('Open doors per $level', 'township')).toEqual({ 'T-1': 4 });
    expect(await lastPerGrid('Sealed (door closed) per $level', 'township')).toEqual({ 'T-1': 16 });
    expect(await lastPerGrid('Reporting seals per $level', 'township')).toEqual({ 'T-1': 20 });
    expect(await lastPerGrid('Breach alerts raised per $level', 'township')).toEqual({ 'T-1': 1 });
    // Any level, not only township: per village it is per grid node again.
    expect(await lastPerGrid('Reporting seals per $level', 'village')).toEqual({ 'G-0': 10, 'G-1': 10 });
    const fleet = loadDashboards().find((d) => d.file === 'fleet-overview.json')!;
    const variable = fleet.json.templating.list.find((v) => v.name === 'level')!;
    const keys = (await influx.query(variable.query))[0]!.values.map((row) => String(row[0]));
    const pattern = new RegExp(variable.regex!.slice(1, -1));
    expect(keys.filter((k) => pattern.test(k)).sort()).toEqual(['county', 'township', 'village']);
  });
});
