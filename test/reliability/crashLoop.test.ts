import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import { type InfluxdbServer, startInfluxdb } from '../helpers/influxdb.ts';
import { connectSensor, eventPayload } from '../helpers/mqtt.ts';
import { startService } from '../helpers/service.ts';
import { report } from './support.ts';

const SENSORS = 10;
const CYCLES = 10;
const MAX_PER_CYCLE = 95;
const PACE_MS = 7;

/**
 * kill -9 under QoS 1 load, ten times at random moments: every message that
 * got a PUBACK must be in the live state's door history and in InfluxDB.
 */
describe('crash loop under QoS 1 load', () => {
  let influx: InfluxdbServer;
  let svc: Awaited<ReturnType<typeof startService>>;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    influx = await startInfluxdb({ db: 'seals' });
    svc = await startService({ env: { INFLUX_URL: influx.url, INFLUX_API: 'v1', INFLUX_DB: 'seals' } });
    await svc.api('POST', '/api/grid', { id: 'crash', name: 'crash', parentId: null, level: 'county' });
    for (let i = 0; i < SENSORS; i++) {
      const id = `crash-${i}`;
      await svc.api('POST', '/api/households', { id: `h-${id}`, gridId: 'crash', address: id });
      await svc.api('POST', '/api/quarantines', {
        householdId: `h-${id}`,
        start: new Date(Date.now() - 60_000).toISOString(),
      });
      secrets.set(id, (await svc.api('POST', '/api/sensors', { id, householdId: `h-${id}` })).body.secret);
    }
  });
  afterAll(async () => {
    await svc?.cleanup();
    await influx?.close();
  });

  it('loses no acknowledged message across ten kill -9 restarts', async () => {
    const acked = new Map<string, number[]>();
    let sent = 0;
    let nextSeq = 1;
    const killDelays: number[] = [];

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const clients: MqttClient[] = [];
      for (const [id, secret] of secrets) clients.push(await connectSensor(svc.mqttUrl, id, secret));
      let running = true;
      const publishers = clients.map(async (client, i) => {
        const id = `crash-${i}`;
        // Paced so that no sensor exceeds the history endpoint's 1,000 events over the ten cycles
        // (a faster commit path once pushed the first cycle's events out of the page).
        let sentThisCycle = 0;
        while (running && sentThisCycle++ < MAX_PER_CYCLE) {
          await new Promise((r) => setTimeout(r, PACE_MS));
          const seq = nextSeq++;
          sent++;
          try {
            await client.publishAsync(
              `seal/${id}/event`,
              eventPayload(seq % 2 ? 'open' : 'close', seq, Date.now()),
              { qos: 1 },
            );
            const list = acked.get(id) ?? [];
            list.push(seq);
            acked.set(id, list);
          } catch {
            return; // connection gone: the service was killed
          }
        }
      });
      const delay = 150 + Math.floor(Math.random() * 600);
      killDelays.push(delay);
      await new Promise((r) => setTimeout(r, delay));
      await svc.kill();
      running = false;
      for (const c of clients) c.end(true);
      await Promise.all(publishers);
      await svc.restart();
    }

    const ackedTotal = [...acked.values()].reduce((n, l) => n + l.length, 0);
    const lostInState: string[] = [];
    for (const [id, seqs] of acked) {
      const history = (await svc.api('GET', `/api/seals/${id}/history?limit=1000`)).body.items as {
        seq: number;
      }[];
      expect(history.length, `${id}: more events than one history page holds`).toBeLessThan(1000);
      const stored = new Set(history.map((e) => e.seq));
      for (const seq of seqs) if (!stored.has(seq)) lostInState.push(`${id}:${seq}`);
    }
    expect(lostInState).toEqual([]);

    const lostInInflux: string[] = [];
    let queried = false;
    // Polls until nothing is missing; then the list itself is asserted, so a failure names what is missing.
    await eventually(
      async () => {
        const series = await influx.query('SELECT "seq", "sensor" FROM "door"');
        const stored = new Set((series[0]?.values ?? []).map((v) => `${v[2]}:${v[1]}`));
        // Only a query that answered replaces the list of what is missing.
        queried = true;
        lostInInflux.length = 0;
        for (const [id, seqs] of acked)
          for (const seq of seqs) if (!stored.has(`${id}:${seq}`)) lostInInflux.push(`${id}:${seq}`);
        return lostInInflux.length === 0;
      },
      60_000,
      'every acknowledged message in InfluxDB',
    ).catch(() => undefined);
    expect(queried).toBe(true);
    expect(lostInInflux).toEqual([]);
    expect(ackedTotal).toBeGreaterThan(CYCLES * SENSORS);

    report('crash-loop', {
      cycles: CYCLES,
      sensors: SENSORS,
      sent,
      acknowledged: ackedTotal,
      lostInState: 0,
      lostInInflux: 0,
      killDelaysMs: killDelays,
    });
  });
});
