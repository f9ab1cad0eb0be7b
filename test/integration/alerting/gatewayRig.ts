/**
 * The service and grid the silent-gateway tests share: a township with villages v1–v3, a leader and
 * a grid worker in v1 and a technician at the township (each a webhook of the receiver), and
 * Zigbee2MQTT gateways of three contact sensors each, speaking as Zigbee2MQTT does.
 *
 * The bridge's messages are Zigbee2MQTT's own: `zigbee2mqtt/bridge/state` with `{"state":"online"}`
 * on connect and `{"state":"offline"}` before a clean stop and as its MQTT last will (retained, QoS 1)
 * — https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html#zigbee2mqtt-bridge-state
 * and Zigbee2MQTT's lib/mqtt.ts. Contact payloads as https://www.zigbee2mqtt.io/devices/MCCGQ11LM.html.
 */
import type { MqttClient } from 'mqtt';
import { connectSensor } from '../../helpers/mqtt.ts';
import { type RunningService, startService } from '../../helpers/service.ts';
import { startWebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { must } from './grid.ts';

export type Alert = {
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

export const BRIDGE_STATE = 'zigbee2mqtt/bridge/state';
export const OFFLINE = JSON.stringify({ state: 'offline' });
export const ONLINE = JSON.stringify({ state: 'online' });
const CLOSED_DOOR = { battery: 97, contact: true, linkquality: 120, voltage: 3005 };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Friendly names per gateway: three contact sensors each. */
export const names = (gw: string) => [1, 2, 3].map((n) => `${gw}/door-${n}`);
export const sensorOf = (name: string) => `s-${name.replace('/', '-')}`;

/**
 * Three quarantined households behind a new gateway in `village`; returns its secret. Made by each
 * test when it starts: sensors never heard from are silent one window after they were registered,
 * and a gateway whose sensors are all silent is an alert of its own.
 */
export async function provisionGateway(svc: RunningService, gw: string, village: string): Promise<string> {
  for (const name of names(gw)) {
    const householdId = `h-${sensorOf(name)}`;
    await must(
      svc,
      'POST',
      '/api/households',
      { id: householdId, gridId: village, address: `${name} 号` },
      201,
    );
    const start = new Date(Date.now() - 60_000).toISOString();
    await must(svc, 'POST', '/api/quarantines', { householdId, start }, 201);
    await must(svc, 'POST', '/api/sensors', { id: sensorOf(name), householdId, friendlyName: name }, 201);
  }
  const body = { id: gw, name: `${gw} 网关`, sensorIds: names(gw).map(sensorOf) };
  return (await must(svc, 'POST', '/api/gateways', body, 201)).secret as string;
}

/** Connects as Zigbee2MQTT does (its will set unless `will: false`) and says online. */
export async function connectBridge(
  url: string,
  gw: string,
  secret: string,
  opts: { will?: boolean } = {},
): Promise<MqttClient> {
  const will = { topic: BRIDGE_STATE, payload: Buffer.from(OFFLINE), qos: 1 as const, retain: true };
  const c = await connectSensor(url, gw, secret, opts.will === false ? {} : { will });
  await c.publishAsync(BRIDGE_STATE, ONLINE, { qos: 1, retain: true });
  return c;
}

/** A contact sensor's state report through its bridge: a sign of life, door closed. */
export const reportClosed = (c: MqttClient, name: string) =>
  c.publishAsync(`zigbee2mqtt/${name}`, JSON.stringify(CLOSED_DOOR), { qos: 1 });

/** HEARTBEAT_INTERVAL=1s × 3: each sensor's own offline alert would come within seconds. */
export async function startGatewayRig(options: { keepData?: boolean } = {}) {
  const hook = await startWebhookReceiver();
  const svc = await startService({
    env: { HEARTBEAT_INTERVAL: '1s', MISSED_HEARTBEATS: '3', ESCALATE_AFTER: '10m' },
    ...options,
  });
  const secrets = new Map<string, string>();
  await must(
    svc,
    'POST',
    '/api/grid',
    { id: 'town', name: '史村镇', parentId: null, level: 'township' },
    201,
  );
  for (const v of ['v1', 'v2', 'v3'])
    await must(svc, 'POST', '/api/grid', { id: v, name: `${v} 村`, parentId: 'town', level: 'village' }, 201);
  for (const w of [
    { id: 'l-v1', name: '一村网格长', gridId: 'v1', role: 'leader', webhook: `${hook.url}/leader` },
    { id: 'w-v1', name: '一村网格员', gridId: 'v1', role: 'worker', webhook: `${hook.url}/worker` },
    { id: 't-town', name: '运维', gridId: 'town', role: 'technician', webhook: `${hook.url}/tech` },
  ])
    await must(svc, 'POST', '/api/workers', w, 201);

  const alerts = async () => (await svc.api('GET', '/api/alerts')).body as Alert[];
  return {
    svc,
    hook,
    gatewayAlerts: async (gw: string) => (await alerts()).filter((a) => a.gatewayId === gw),
    offlineOf: async (gw: string) =>
      (await alerts()).filter((a) => a.type === 'offline' && a.sensorId?.startsWith(`s-${gw}-`)),
    /** Why it was raised: the bridge said so (`gatewayOffline`) or its sensors all fell silent. */
    causeOf: async (id: string) =>
      (
        (await svc.api('GET', `/api/alerts/${id}`)).body.history as Array<{
          kind: string;
          detail: { cause?: string };
        }>
      ).find((h) => h.kind === 'opened')?.detail.cause,

    async provisionGateway(gw: string, village: string): Promise<void> {
      secrets.set(gw, await provisionGateway(svc, gw, village));
    },
    bridge: (gw: string, opts: { will?: boolean } = {}) =>
      connectBridge(svc.mqttUrl, gw, secrets.get(gw)!, opts),
    report: reportClosed,

    async close(): Promise<void> {
      await svc.cleanup();
      await hook.close();
    },
  };
}
