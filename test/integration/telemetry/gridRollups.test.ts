import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { type InfluxdbServer, startInfluxdb } from '../../helpers/influxdb.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';
import { armedHousehold, must } from '../alerting/grid.ts';
import { loadDashboards } from '../compose/dashboards.ts';

/**
 * Issue 17.8 through the running service: MQTT → ingest → InfluxDB 1.x. Every point carries its
 * node's ancestor at each grid level (registry/gridLevelTags.ts), so the fleet overview's roll-up
 * panels sum the villages of a township, and a node moved to another township counts there from
 * its next message on.
 */
describe('roll-ups by grid level, through the service into a real InfluxDB 1.x', () => {
  let influx: InfluxdbServer;
  let svc: Awaited<ReturnType<typeof startService>>;
  const sensors: Record<string, { sensorId: string; secret: string }> = {};

  beforeAll(async () => {
    influx = await startInfluxdb({ db: 'seals' });
    svc = await startService({
      env: { INFLUX_URL: influx.url, INFLUX_API: 'v1', INFLUX_DB: 'seals', ESCALATE_AFTER: '1h' },
    });
    const grid = [
      { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' },
      { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' },
      { id: 'lecheng', name: '乐昌镇', parentId: 'quwo', level: 'township' },
      { id: 'dongcun', name: '东村', parentId: 'shicun', level: 'village' },
      { id: 'xicun', name: '西村', parentId: 'shicun', level: 'village' },
      { id: 'nanguan', name: '南关社区', parentId: 'lecheng', level: 'community' },
    ];
    for (const n of grid) await must(svc, 'POST', '/api/grid', n, 201);
    for (const [n, gridId] of [
      ['1', 'dongcun'],
      ['2', 'dongcun'],
      ['3', 'xicun'],
      ['4', 'nanguan'],
    ] as const)
      sensors[n] = await armedHousehold(svc, gridId, n);
  });
  afterAll(async () => {
    await svc?.cleanup();
    await influx?.close();
  });

  const send = async (n: string, topic: 'heartbeat' | 'event', payload: string) => {
    const s = sensors[n]!;
    const client = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
    await client.publishAsync(`seal/${s.sensorId}/${topic}`, payload, { qos: 1 });
    await client.endAsync();
  };

  /** A fleet-overview roll-up panel's query, as Grafana expands it for the last hour. */
  const rollUp = async (title: string, level: string): Promise<Record<string, number>> => {
    const fleet = loadDashboards().find((d) => d.file === 'fleet-overview.json')!;
    const query = fleet.json.panels
      .find((p) => p.title === title)!
      .targets![0]!.query.replaceAll('$timeFilter', 'time > now() - 1h')
      .replaceAll('$__interval', '1h')
      .replaceAll('$level', level)
      .replaceAll('$node', '.*');
    const series = (await influx.query(query)) as unknown as {
      tags: Record<string, string>;
      values: [string, number | null][];
    }[];
    const sums: Record<string, number> = {};
    for (const s of series) sums[s.tags[level]!] = s.values.reduce((sum, [, v]) => sum + (v ?? 0), 0);
    return sums;
  };

  it('points carry their ancestors by level; a roll-up sums two villages into their township', async () => {
    for (const n of ['1', '2', '3', '4']) await send(n, 'heartbeat', heartbeatPayload(1, 'closed', 90, -60));
    await eventually(async () => (await influx.rows('heartbeat')).length === 4, 15_000);
    const rows = await influx.rows('heartbeat');
    expect(rows.find((r) => r.sensor === sensors['1']!.sensorId)).toMatchObject({
      grid: 'dongcun',
      county: 'quwo',
      township: 'shicun',
      village: 'dongcun',
      community: null,
    });
    expect(rows.find((r) => r.sensor === sensors['4']!.sensorId)).toMatchObject({
      grid: 'nanguan',
      county: 'quwo',
      township: 'lecheng',
      community: 'nanguan',
      village: null,
    });
    expect(await rollUp('Reporting seals per $level', 'township')).toEqual({ shicun: 3, lecheng: 1 });
    expect(await rollUp('Reporting seals per $level', 'village')).toMatchObject({ dongcun: 2, xicun: 1 });
    expect(await rollUp('Reporting seals per $level', 'county')).toEqual({ quwo: 4 });

    // Breaches in both villages of 史村镇: the alert points roll up the same way.
    await send('1', 'event', eventPayload('open', 2));
    await send('3', 'event', eventPayload('open', 2));
    await eventually(
      async () => (await rollUp('Breach alerts raised per $level', 'township')).shicun === 2,
      15_000,
    );
    const alerts = await influx.rows('alert');
    expect(alerts.find((r) => r.change === 'opened' && r.sensor === sensors['3']!.sensorId)).toMatchObject({
      township: 'shicun',
      village: 'xicun',
      county: 'quwo',
    });
  });

  it('a node moved to another township counts there from its next message on', async () => {
    await must(svc, 'PATCH', '/api/grid/nanguan', { parentId: 'shicun' }, 200);
    await send('4', 'heartbeat', heartbeatPayload(3, 'closed', 90, -60));
    await eventually(async () => {
      const rows = await influx.rows('heartbeat');
      return rows.some((r) => r.sensor === sensors['4']!.sensorId && r.township === 'shicun');
    }, 15_000);
  });
});
