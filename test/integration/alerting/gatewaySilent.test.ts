/**
 * A gateway that goes silent is one alert (issue 16.2), through the real service and real MQTT:
 * a Zigbee2MQTT bridge with three contact sensors under HEARTBEAT_INTERVAL=1s (a 3 s offline
 * window, so each sensor's own offline alert would come within seconds).
 *
 * The bridge's messages are Zigbee2MQTT's own: `zigbee2mqtt/bridge/state` with `{"state":"online"}`
 * on connect and `{"state":"offline"}` before a clean stop and as its MQTT last will (retained, QoS 1)
 * — https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html#zigbee2mqtt-bridge-state
 * and Zigbee2MQTT's lib/mqtt.ts. Contact payloads as https://www.zigbee2mqtt.io/devices/MCCGQ11LM.html.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { connectSensor, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { must } from './grid.ts';

type Alert = {
  id: string;
  type: string;
  gridId: string;
  gatewayId?: string;
  sensorId?: string;
  status: string;
  assignee: string | null;
  autoResolveReason?: string;
  openedAt: string;
};

const BRIDGE_STATE = 'zigbee2mqtt/bridge/state';
const OFFLINE = JSON.stringify({ state: 'offline' });
const ONLINE = JSON.stringify({ state: 'online' });
const CLOSED_DOOR = { battery: 97, contact: true, linkquality: 120, voltage: 3005 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a gateway that goes silent is one alert', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let hook: WebhookReceiver;
  const secrets = new Map<string, string>();
  /** Friendly names per gateway: three contact sensors each. */
  const names = (gw: string) => [1, 2, 3].map((n) => `${gw}/door-${n}`);
  const sensorOf = (name: string) => `s-${name.replace('/', '-')}`;

  const alerts = async () => (await svc.api('GET', '/api/alerts')).body as Alert[];
  const gatewayAlerts = async (gw: string) => (await alerts()).filter((a) => a.gatewayId === gw);
  /** Why it was raised: the bridge said so (`gatewayOffline`) or its sensors all fell silent. */
  const causeOf = async (id: string) =>
    (
      (await svc.api('GET', `/api/alerts/${id}`)).body.history as Array<{
        kind: string;
        detail: { cause?: string };
      }>
    ).find((h) => h.kind === 'opened')?.detail.cause;
  const offlineOf = async (gw: string) =>
    (await alerts()).filter((a) => a.type === 'offline' && a.sensorId?.startsWith(`s-${gw}-`));

  /** Connects as Zigbee2MQTT does (its will set), says online, and reports each contact sensor once. */
  const bridge = async (gw: string, opts: { will?: boolean } = {}): Promise<MqttClient> => {
    const c = await connectSensor(svc.mqttUrl, gw, secrets.get(gw)!, {
      ...(opts.will === false
        ? {}
        : { will: { topic: BRIDGE_STATE, payload: Buffer.from(OFFLINE), qos: 1, retain: true } }),
    });
    await c.publishAsync(BRIDGE_STATE, ONLINE, { qos: 1, retain: true });
    return c;
  };
  const report = (c: MqttClient, name: string) =>
    c.publishAsync(`zigbee2mqtt/${name}`, JSON.stringify(CLOSED_DOOR), { qos: 1 });

  /**
   * Three quarantined households behind a new gateway in `village`. Made by each test when it starts:
   * sensors never heard from are silent one window after they were registered, and a gateway whose
   * sensors are all silent is an alert of its own.
   */
  const provisionGateway = async (gw: string, village: string) => {
    for (const name of names(gw)) {
      const householdId = `h-${sensorOf(name)}`;
      await must(
        svc,
        'POST',
        '/api/households',
        { id: householdId, gridId: village, address: `${name} 号` },
        201,
      );
      await must(
        svc,
        'POST',
        '/api/quarantines',
        { householdId, start: new Date(Date.now() - 60_000).toISOString() },
        201,
      );
      await must(svc, 'POST', '/api/sensors', { id: sensorOf(name), householdId, friendlyName: name }, 201);
    }
    const created = await must(
      svc,
      'POST',
      '/api/gateways',
      { id: gw, name: `${gw} 网关`, sensorIds: names(gw).map(sensorOf) },
      201,
    );
    secrets.set(gw, created.secret as string);
  };

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    svc = await startService({
      env: { HEARTBEAT_INTERVAL: '1s', MISSED_HEARTBEATS: '3', ESCALATE_AFTER: '10m' },
    });
    await must(
      svc,
      'POST',
      '/api/grid',
      { id: 'town', name: '史村镇', parentId: null, level: 'township' },
      201,
    );
    for (const v of ['v1', 'v2', 'v3'])
      await must(
        svc,
        'POST',
        '/api/grid',
        { id: v, name: `${v} 村`, parentId: 'town', level: 'village' },
        201,
      );
    for (const w of [
      { id: 'l-v1', name: '一村网格长', gridId: 'v1', role: 'leader', webhook: `${hook.url}/leader` },
      { id: 'w-v1', name: '一村网格员', gridId: 'v1', role: 'worker', webhook: `${hook.url}/worker` },
      { id: 't-town', name: '运维', gridId: 'town', role: 'technician', webhook: `${hook.url}/tech` },
    ])
      await must(svc, 'POST', '/api/workers', w, 201);
  });
  afterAll(async () => {
    await svc?.cleanup();
    await hook?.close();
  });

  it('the bridge says offline: one gateway alert to the leader and the technician, no alert per sensor; back online it resolves, and a sensor still silent gets its own alert only after its own window', async () => {
    await provisionGateway('gw-a', 'v1');
    const gw = await bridge('gw-a');
    for (const name of names('gw-a')) await report(gw, name);
    await gw.publishAsync(BRIDGE_STATE, OFFLINE, { qos: 1, retain: true });
    const saidOffline = Date.now();
    await eventually(async () => (await gatewayAlerts('gw-a')).length > 0, 15_000, 'gateway alert raised');
    const [alert, ...more] = await gatewayAlerts('gw-a');
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      type: 'outage',
      gatewayId: 'gw-a',
      gridId: 'v1',
      severity: 'critical',
      status: 'open',
      assignee: 'l-v1',
    });
    expect(await causeOf(alert!.id)).toBe('gatewayOffline');
    // It waits one offline window (3 s) for the bridge to come back: a restart is no alert.
    expect(Date.parse(alert!.openedAt) - saidOffline).toBeGreaterThanOrEqual(2_500);
    await hook.waitFor((r) => r.path === '/leader' && r.json?.data?.alertId === alert!.id);
    await hook.waitFor((r) => r.path === '/tech' && r.json?.data?.alertId === alert!.id);
    // The seals behind it show as not online while their gateway is gone.
    expect((await svc.api('GET', `/api/seals/${sensorOf('gw-a/door-1')}`)).body.online).toBe(false);

    // Well past every sensor's window and hold: still no offline alert of their own.
    await sleep(5_000);
    expect(await offlineOf('gw-a')).toEqual([]);
    expect(await gatewayAlerts('gw-a')).toHaveLength(1);
    expect(hook.received.filter((r) => r.path === '/worker')).toEqual([]);

    // Back: the alert resolves by itself. Two sensors speak again; the third stays silent.
    await gw.publishAsync(BRIDGE_STATE, ONLINE, { qos: 1, retain: true });
    const back = Date.now();
    await report(gw, 'gw-a/door-1');
    await report(gw, 'gw-a/door-2');
    await eventually(
      async () => (await svc.api('GET', `/api/alerts/${alert!.id}`)).body.status === 'resolved',
      10_000,
      'gateway alert resolved',
    );
    expect((await svc.api('GET', `/api/alerts/${alert!.id}`)).body.autoResolveReason).toBe('backOnline');
    const keepTalking = setInterval(() => {
      void report(gw, 'gw-a/door-1').catch(() => {});
      void report(gw, 'gw-a/door-2').catch(() => {});
    }, 500);
    try {
      await eventually(
        async () => (await offlineOf('gw-a')).length > 0,
        15_000,
        'the silent sensor’s own alert',
      );
      const own = await offlineOf('gw-a');
      expect(own.map((a) => a.sensorId)).toEqual([sensorOf('gw-a/door-3')]);
      // Its own window (3 s) from the gateway's return, not from its last message long before.
      expect(Date.parse(own[0]!.openedAt) - back).toBeGreaterThanOrEqual(2_500);
      expect(own[0]).toMatchObject({ assignee: 'w-v1' });
    } finally {
      clearInterval(keepTalking);
      await gw.endAsync();
    }
  });

  it('its connection is lost (killed, no DISCONNECT): the broker publishes its will, and it is the same one alert', async () => {
    await provisionGateway('gw-b', 'v2');
    const gw = await bridge('gw-b');
    for (const name of names('gw-b')) await report(gw, name);
    gw.stream.destroy();
    await eventually(async () => (await gatewayAlerts('gw-b')).length > 0, 15_000, 'gateway alert raised');
    expect(await gatewayAlerts('gw-b')).toMatchObject([
      { type: 'outage', gatewayId: 'gw-b', gridId: 'v2', status: 'open' },
    ]);
    expect(await causeOf((await gatewayAlerts('gw-b'))[0]!.id)).toBe('gatewayOffline');
    await sleep(4_000);
    expect(await offlineOf('gw-b')).toEqual([]);
    expect(await gatewayAlerts('gw-b')).toHaveLength(1);

    // It reconnects (Zigbee2MQTT says online on every connect): resolved.
    const again = await bridge('gw-b');
    for (const name of names('gw-b')) await report(again, name);
    const [alert] = await gatewayAlerts('gw-b');
    await eventually(
      async () => (await svc.api('GET', `/api/alerts/${alert!.id}`)).body.status === 'resolved',
      10_000,
      'gateway alert resolved',
    );
    await again.endAsync();
  });

  it('a gateway that goes without a word (no will) is found from its sensors’ silence: one alert, none per sensor', async () => {
    await provisionGateway('gw-c', 'v3');
    const gw = await bridge('gw-c', { will: false });
    // Native protocol through the gateway, as a LoRa or NB-IoT gateway speaks for its seals.
    for (const [i, name] of names('gw-c').entries())
      await gw.publishAsync(`seal/${sensorOf(name)}/heartbeat`, heartbeatPayload(i + 1, 'closed'), {
        qos: 1,
      });
    gw.stream.destroy();
    await eventually(async () => (await gatewayAlerts('gw-c')).length > 0, 15_000, 'gateway alert raised');
    expect(await gatewayAlerts('gw-c')).toMatchObject([
      { type: 'outage', gatewayId: 'gw-c', gridId: 'v3', status: 'open' },
    ]);
    expect(await causeOf((await gatewayAlerts('gw-c'))[0]!.id)).toBe('sensorsSilent');
    await sleep(3_000);
    expect(await offlineOf('gw-c')).toEqual([]);
  });
});
