/**
 * An installation with a day behind it, for the move to PostgreSQL (migrateStore.test.ts): the
 * service runs in this process (createService, as main.ts builds it) on SQLite with a clock the
 * test moves, sensors speak real MQTT over TCP, and notifications go to a real webhook receiver.
 * Over 24 hours of clock time: heartbeats every hour, breaches raised, escalated, acknowledged and
 * resolved, an announced opening, an announce link, a quarantine that ended, a sensor gone away, a
 * low battery. (No offline alert: the engine takes a clock that jumps hours between two sweeps for
 * a suspended machine and graces every seal again, as it should.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { createService, type Service } from '../../../app/createService.ts';
import type { ManualClock } from '../../../core/clock.ts';
import { loadConfig } from '../../../core/config.ts';
import { connectSensor } from '../../helpers/mqtt.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';

export const HOUR = 3_600_000;
const MINUTE = 60_000;

export interface InProcessService {
  service: Service;
  readonly mqttUrl: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** The whole service in this process on `dataDir` (SQLite unless env has DATABASE_URL), on `clock`. */
export async function startInProcess(
  dataDir: string,
  clock: ManualClock,
  env: Record<string, string> = {},
): Promise<InProcessService> {
  const config = loadConfig({
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    MQTT_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    PUBLIC_URL: 'http://sealwatch.test',
    // Hourly heartbeats keep a seal online; one silent for 6 hours goes offline.
    HEARTBEAT_INTERVAL: '2h',
    ESCALATE_AFTER: '30m,2h',
    API_VERIFY_RESPONSES: 'true',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const service = await createService(config, pino({ level: 'silent' }), clock, (err) => {
    throw err;
  });
  const token = service.adminToken;
  return {
    service,
    mqttUrl: `mqtt://127.0.0.1:${service.mqttPort}`,
    async api(method, path, body) {
      const res = await fetch(`http://127.0.0.1:${service.httpPort}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // an HTML page or plain text
      }
      // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
      return { status: res.status, body: parsed as any };
    },
    stop: () => service.stop(),
  };
}

async function must(svc: InProcessService, method: string, path: string, body: unknown, status = 201) {
  const r = await svc.api(method, path, body);
  if (r.status !== status)
    throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export const SENSORS = ['seal-1', 'seal-2', 'seal-3', 'seal-4', 'seal-5', 'seal-6'] as const;

export interface DayOfHistory {
  dataDir: string;
  svc: InProcessService;
  /** The alerts acknowledged and resolved through the API during the day. */
  acknowledged: string;
  resolved: string;
  /** Each sensor's MQTT password. */
  secrets: Map<string, string>;
}

/** Provisions a grid and lives through a day from `clock`'s time; the service is left running. */
export async function liveADay(clock: ManualClock, hook: WebhookReceiver): Promise<DayOfHistory> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-migrate-'));
  const svc = await startInProcess(dataDir, clock);
  const t0 = clock.now();
  const iso = (t: number) => new Date(t).toISOString();

  for (const n of [
    { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' },
    { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' },
    { id: 'dongcun', name: '东村', parentId: 'shicun', level: 'village' },
    { id: 'licun', name: '里村', parentId: 'shicun', level: 'village' },
  ])
    await must(svc, 'POST', '/api/grid', n);
  for (const w of [
    { id: 'l-town', name: '镇网格长', gridId: 'shicun', role: 'leader', webhook: `${hook.url}/town` },
    { id: 'w-dong', name: '王网格员', gridId: 'dongcun', role: 'worker', webhook: `${hook.url}/wang` },
    { id: 'w-li', name: '李网格员', gridId: 'licun', role: 'worker', email: 'li@example.org' },
  ])
    await must(svc, 'POST', '/api/workers', w);
  const secrets = new Map<string, string>();
  for (const [i, sensorId] of SENSORS.entries()) {
    const householdId = `h-${i + 1}`;
    const gridId = i < 4 ? 'dongcun' : 'licun';
    await must(svc, 'POST', '/api/households', { id: householdId, gridId, address: `${gridId} ${i + 1} 号` });
    // h-5's quarantine ends at hour 20.
    await must(svc, 'POST', '/api/quarantines', {
      householdId,
      start: iso(t0),
      ...(i === 4 ? { end: iso(t0 + 20 * HOUR) } : {}),
    });
    const sensor = await must(svc, 'POST', '/api/sensors', { id: sensorId, householdId });
    secrets.set(sensorId, sensor.secret as string);
  }

  // A township made later, and licun moved under it: a child now comes before its parent in the
  // order SQLite's rows were written, which PostgreSQL's reference check must not trip over.
  await must(svc, 'POST', '/api/grid', {
    id: 'beidong',
    name: '北董乡',
    parentId: 'quwo',
    level: 'township',
  });
  await must(svc, 'PATCH', '/api/grid/licun', { parentId: 'beidong' }, 200);
  // A gateway for the licun households, renamed once: gateway rows and the audit trail.
  await must(svc, 'POST', '/api/gateways', {
    id: 'gw-licun',
    name: '里村网关',
    sensorIds: ['seal-5', 'seal-6'],
  });
  await must(svc, 'PATCH', '/api/gateways/gw-licun', { name: '里村 2 号网关' }, 200);

  const clients = new Map<string, MqttClient>();
  for (const id of SENSORS) clients.set(id, await connectSensor(svc.mqttUrl, id, secrets.get(id) as string));
  const seqs = new Map<string, number>();
  const publish = async (id: string, kind: 'event' | 'heartbeat', payload: Record<string, unknown>) => {
    const seq = (seqs.get(id) ?? 0) + 1;
    seqs.set(id, seq);
    const client = clients.get(id) as MqttClient;
    await client.publishAsync(`seal/${id}/${kind}`, JSON.stringify({ ts: clock.now(), seq, ...payload }), {
      qos: 1,
    });
  };
  const door = (id: string, type: 'open' | 'close') => publish(id, 'event', { type });
  const alertOf = async (sensorId: string) => {
    const list = (await svc.api('GET', '/api/alerts?limit=1000')).body as Array<{
      id: string;
      sensorId?: string;
    }>;
    const found = list.find((a) => a.sensorId === sensorId);
    if (!found) throw new Error(`no alert for ${sensorId}`);
    return found.id;
  };

  let acknowledged = '';
  let resolved = '';
  for (let hour = 0; hour < 24; hour++) {
    clock.set(t0 + hour * HOUR + MINUTE);
    // seal-6 goes away: no more heartbeats, and no connection either.
    if (hour === 12) await clients.get('seal-6')?.endAsync();
    for (const id of SENSORS) {
      if (id === 'seal-6' && hour >= 12) continue;
      const battery = id === 'seal-3' && hour >= 16 ? 4 : 90 - hour;
      await publish(id, 'heartbeat', { door: 'closed', battery, rssi: -60 - hour });
    }
    if (hour === 2 || hour === 20) await door('seal-1', 'open');
    if (hour === 5) await door('seal-2', 'open');
    if (hour === 8) await door('seal-3', 'open');
    if (hour === 11) {
      await must(svc, 'POST', '/api/announcements', { householdId: 'h-4', minutes: 60, reason: 'doctor' });
      await door('seal-4', 'open');
    }
    if (hour === 14) await must(svc, 'POST', '/api/households/h-2/announce-link', undefined);
    if (hour === 22) await door('seal-5', 'open'); // its quarantine ended at hour 20: no alert
    clock.advance(5 * MINUTE);
    for (const [h, id] of [
      [2, 'seal-1'],
      [5, 'seal-2'],
      [8, 'seal-3'],
      [11, 'seal-4'],
      [22, 'seal-5'],
    ] as const)
      if (hour === h) await door(id, 'close');
    if (hour === 6) {
      acknowledged = await alertOf('seal-2');
      await must(svc, 'POST', `/api/alerts/${acknowledged}/ack`, { note: '已电话联系' }, 200);
    }
    if (hour === 9) {
      resolved = await alertOf('seal-3');
      await must(
        svc,
        'POST',
        `/api/alerts/${resolved}/resolve`,
        { outcome: 'visited', note: '上门核实' },
        200,
      );
    }
    // Let the sweeps see the new hour (escalations due, a seal silent) before the clock moves on.
    await new Promise((r) => setTimeout(r, 50));
  }
  clock.set(t0 + 24 * HOUR);
  for (const client of clients.values()) await client.endAsync();
  return { dataDir, svc, acknowledged, resolved, secrets };
}
