import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBrokerConfig } from '../../helpers/brokerConfig.ts';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { type RunningMosquitto, startMosquitto } from '../../helpers/mosquitto.ts';
import { connectClient, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { freePort } from '../../helpers/serverProcess.ts';
import { type RunningService, startService } from '../../helpers/service.ts';

const SERVICE_USER = 'sealwatch-test';
const SERVICE_PASSWORD = 'svc-password-that-must-never-be-logged';
const GROUP = 'sw-test';

type Service = Awaited<ReturnType<typeof startService>>;

/** The grid, households and devices; provisioned identically into every instance (each has its own SQLite). */
const ARMED = ['door-1', 'door-2', 'gone-1'];
const CALM = ['calm-1', 'calm-2', 'calm-3', 'calm-4', 'calm-5'];
const ZIGBEE = { id: 'zig-1', friendlyName: 'hall_door' };
const GATEWAY = 'gw-1';

async function provision(svc: RunningService): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  const ok = async (method: string, path: string, body: unknown) => {
    const res = await svc.api(method, path, body);
    if (res.status !== 201) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await ok('POST', '/api/grid', { id: 'town', name: '镇', parentId: null, level: 'township' });
  const start = new Date(Date.now() - 3_600_000).toISOString();
  for (const id of [...ARMED, ZIGBEE.id]) {
    await ok('POST', '/api/households', { id: `h-${id}`, gridId: 'town', address: `${id} 号` });
    await ok('POST', '/api/quarantines', { householdId: `h-${id}`, start });
  }
  // Households not in quarantine: their doors may open without alerts (the crash test's traffic).
  for (const id of CALM) await ok('POST', '/api/households', { id: `h-${id}`, gridId: 'town', address: id });
  for (const id of [...ARMED, ...CALM]) {
    secrets.set(id, (await ok('POST', '/api/sensors', { id, householdId: `h-${id}` })).secret);
  }
  await ok('POST', '/api/sensors', { ...ZIGBEE, householdId: `h-${ZIGBEE.id}` });
  const gw = await ok('POST', '/api/gateways', { id: GATEWAY, name: 'Zigbee', sensorIds: [ZIGBEE.id] });
  secrets.set(GATEWAY, gw.secret);
  return secrets;
}

const externalEnv = (port: number) => ({
  MQTT_URL: `mqtt://127.0.0.1:${port}`,
  MQTT_USERNAME: SERVICE_USER,
  MQTT_PASSWORD: SERVICE_PASSWORD,
  MQTT_SHARE_GROUP: GROUP,
});

describe('external broker: Mosquitto with shared subscriptions', () => {
  let svc: Service;
  let mosquitto: RunningMosquitto;
  let devicePort: number;
  let servicePort: number;
  let confDir: string;
  let secrets: Map<string, string>;
  const clients: MqttClient[] = [];

  const device = async (id: string, secret = secrets.get(id) as string) => {
    const c = await connectClient(`mqtt://127.0.0.1:${devicePort}`, {
      protocolVersion: 5,
      clientId: id,
      username: id,
      password: secret,
    });
    clients.push(c);
    return c;
  };
  const metrics = async (s: RunningService = svc) =>
    (await s.api('GET', '/metrics', undefined, null)).body as string;
  const seal = async (id: string, s: RunningService = svc) => (await s.api('GET', `/api/seals/${id}`)).body;

  beforeAll(async () => {
    devicePort = await freePort();
    servicePort = await freePort();
    // The service starts before its broker: it keeps retrying (not ready meanwhile).
    svc = await startService({ env: externalEnv(servicePort) });
    expect((await svc.api('GET', '/readyz', undefined, null)).status).toBe(503);
    secrets = await provision(svc);

    // The shipped command writes acl, passwd and sealwatch.conf from the registry alone: its secret
    // hashes are Mosquitto's own format, so no issued secret is needed.
    confDir = mkdtempSync(join(tmpdir(), 'sealwatch-broker-config-'));
    const cli = runBrokerConfig({
      outDir: confDir,
      apiUrl: svc.httpUrl,
      dataDir: svc.dataDir,
      devicePort,
      servicePort,
      env: externalEnv(servicePort),
    });
    expect(cli.status, cli.stderr).toBe(0);
    // The service login, 9 sensors (zig-1 too, though it speaks only through its gateway) and the gateway.
    expect(cli.stdout).toContain('passwd (11 logins)');
    expect(cli.stderr).not.toContain('cannot log in');
    expect(cli.stderr).not.toContain('scrypt');

    mosquitto = await startMosquitto({ includeDir: confDir, waitForPort: devicePort });
    await svc.waitForLog((l) => l.msg === 'external broker subscriptions granted', 40_000);
    await eventually(async () => (await svc.api('GET', '/readyz', undefined, null)).status === 200, 10_000);
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await svc?.cleanup();
    await mosquitto?.cleanup();
    if (confDir) rmSync(confDir, { recursive: true, force: true });
  });

  it('a sensor publishing to Mosquitto changes the seal state and raises a breach alert', async () => {
    const door = await device('door-1');
    await door.publishAsync('seal/door-1/event', eventPayload('open', 1), { qos: 1 });
    await eventually(async () => (await seal('door-1')).door === 'open', 10_000, 'door-1 open');
    expect(await seal('door-1')).toMatchObject({ door: 'open', armed: true, online: true });
    await eventually(
      async () =>
        (
          (await svc.api('GET', '/api/alerts?status=open')).body as { type: string; sensorId?: string }[]
        ).some((a) => a.type === 'breach' && a.sensorId === 'door-1'),
      10_000,
      'a breach alert for door-1',
    );
    const text = await metrics();
    expect(metricValue(text, 'sealwatch_external_broker_connected')).toBe(1);
    expect(
      metricValue(text, 'sealwatch_external_broker', { counter: 'acknowledged' }),
    ).toBeGreaterThanOrEqual(1);
    const log = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    expect(log).toContain('external broker connected');
    expect(log).not.toContain(SERVICE_PASSWORD);
  });

  it('a bad payload is dropped with a counted reason and changes nothing else', async () => {
    const before = await seal('door-2');
    const m0 = await metrics();
    const door = await device('door-2');
    await door.publishAsync('seal/door-2/event', '{"type":"open",', { qos: 1 });
    await eventually(
      async () =>
        metricValue(await metrics(), 'sealwatch_messages_rejected_total', { reason: 'bad_json' }) ===
        metricValue(m0, 'sealwatch_messages_rejected_total', { reason: 'bad_json' }) + 1,
      10_000,
      'bad_json counted',
    );
    expect(await seal('door-2')).toEqual(before);
    const m1 = await metrics();
    expect(metricValue(m1, 'sealwatch_messages_total', { dialect: 'native' })).toBe(
      metricValue(m0, 'sealwatch_messages_total', { dialect: 'native' }),
    );
    // Acknowledged all the same, so the broker does not redeliver poison.
    await eventually(
      async () => metricValue(await metrics(), 'sealwatch_external_broker', { counter: 'pendingAcks' }) === 0,
    );
  });

  it("the generated ACL keeps a sensor off another sensor's topic and a gateway to its own sensors", async () => {
    const before = await seal('door-2');
    const received = metricValue(await metrics(), 'sealwatch_external_broker', { counter: 'received' });
    const door = await device('door-1');
    // MQTT 5: Mosquitto answers the PUBLISH with reason 135 (not authorized) and drops it.
    await expect(door.publishAsync('seal/door-2/event', eventPayload('open', 7), { qos: 1 })).rejects.toThrow(
      /not authorized/i,
    );

    const gw = await device(GATEWAY);
    await gw.publishAsync(
      `zigbee2mqtt/${ZIGBEE.friendlyName}`,
      JSON.stringify({ contact: false, battery: 97 }),
      {
        qos: 1,
      },
    );
    await eventually(
      async () => (await seal(ZIGBEE.id)).door === 'open',
      10_000,
      'zig-1 open via its gateway',
    );
    await expect(
      gw.publishAsync('zigbee2mqtt/someone_else', JSON.stringify({ contact: false }), { qos: 1 }),
    ).rejects.toThrow(/not authorized/i);

    // Only the gateway's message reached the service; door-2 is untouched.
    const after = metricValue(await metrics(), 'sealwatch_external_broker', { counter: 'received' });
    expect(after - received).toBe(1);
    expect(await seal('door-2')).toEqual(before);
  });

  it('a sensor the registry no longer has is rejected as unknown_sensor and counted', async () => {
    // Removed after the broker files were made (not regenerated yet): the broker still lets it in.
    expect((await svc.api('DELETE', '/api/sensors/gone-1')).status).toBe(200);
    const m0 = await metrics();
    const gone = await device('gone-1');
    await gone.publishAsync('seal/gone-1/event', eventPayload('open', 1), { qos: 1 });
    await eventually(
      async () =>
        metricValue(await metrics(), 'sealwatch_messages_rejected_total', { reason: 'unknown_sensor' }) ===
        metricValue(m0, 'sealwatch_messages_rejected_total', { reason: 'unknown_sensor' }) + 1,
      10_000,
      'unknown_sensor counted',
    );
  });

  /** Every event the CALM sensors published, by sensor: the door history must hold exactly these. */
  const sent = new Map<string, number[]>(CALM.map((id) => [id, []]));
  let seq = 0;

  it.each([
    ['kill -9', 'SIGKILL'],
    ['SIGTERM', 'SIGTERM'],
  ])(
    '%s while messages keep arriving: after the restart every one is applied, none twice',
    async (_, signal) => {
      const publishers = await Promise.all(CALM.map((id) => device(id)));
      const before = [...sent.values()].reduce((n, s) => n + s.length, 0);
      let stop = false;
      const base = Date.now();
      const loop = (async () => {
        while (!stop) {
          seq++;
          const n = seq;
          await Promise.all(
            publishers.map((p, i) => {
              const id = CALM[i] as string;
              (sent.get(id) as number[]).push(n);
              // Distinct device times keep every event in the history; doors alternate.
              return p.publishAsync(`seal/${id}/event`, eventPayload(n % 2 ? 'open' : 'close', n, base + n), {
                qos: 1,
              });
            }),
          );
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await new Promise((r) => setTimeout(r, 1500));
      if (signal === 'SIGKILL') await svc.kill();
      // A clean stop acknowledges what it committed and leaves the rest in the session.
      else expect(await svc.stop()).toBe(0);
      await new Promise((r) => setTimeout(r, 1500));
      stop = true;
      await loop;
      const published = [...sent.values()].reduce((n, s) => n + s.length, 0) - before;

      await svc.restart();
      await svc.waitForLog((l) => l.msg === 'external broker connected' && l.sessionPresent === true, 30_000);
      for (const id of CALM) {
        const want = sent.get(id) as number[];
        let seqs: number[] = [];
        await eventually(
          async () => {
            const items = (await svc.api('GET', `/api/seals/${id}/history?limit=1000`)).body.items as {
              seq: number;
            }[];
            seqs = items.map((e) => e.seq).sort((a, b) => a - b);
            return seqs.length >= want.length;
          },
          30_000,
          `${id}: all ${want.length} events applied`,
        );
        expect(seqs, `${id} history`).toEqual(want);
      }
      console.log(
        `${signal}: ${published} events over ${CALM.length} sensors, all applied once after the restart`,
      );
    },
  );

  describe('two instances in one share group', () => {
    let second: Service;

    beforeAll(async () => {
      second = await startService({ env: externalEnv(servicePort) });
      await provision(second);
      await second.waitForLog((l) => l.msg === 'external broker subscriptions granted', 40_000);
    });
    afterAll(async () => second?.cleanup());

    it('split the stream: each message is processed by exactly one of them', async () => {
      const accepted = async (s: RunningService) =>
        metricValue(await metrics(s), 'sealwatch_ingest', { counter: 'accepted' });
      const a0 = await accepted(svc);
      const b0 = await accepted(second);
      const senders = await Promise.all(CALM.map((id) => device(id)));
      const perSensor = 40;
      const base = Date.now();
      for (let n = 1; n <= perSensor; n++) {
        await Promise.all(
          senders.map((p, i) =>
            p.publishAsync(
              `seal/${CALM[i]}/heartbeat`,
              heartbeatPayload(100_000 + n, 'closed', 90, -60, base + n),
              {
                qos: 1,
              },
            ),
          ),
        );
      }
      const published = perSensor * senders.length;
      let a = 0;
      let b = 0;
      await eventually(
        async () => {
          a = (await accepted(svc)) - a0;
          b = (await accepted(second)) - b0;
          return a + b >= published;
        },
        20_000,
        `${published} heartbeats accepted`,
      );
      // Settle: nothing arrives twice.
      await new Promise((r) => setTimeout(r, 500));
      a = (await accepted(svc)) - a0;
      b = (await accepted(second)) - b0;
      expect(a + b).toBe(published);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      console.log(`share group split: instance A ${a}, instance B ${b} of ${published}`);
    });
  });
});
