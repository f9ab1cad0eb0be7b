import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.ts';
import { closed, connectClient, connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

/**
 * Gateways carry many sensors on one connection, in our native protocol or
 * in a vendor dialect. Payloads are those of the vendors' documentation.
 */
describe('gateways and dialects', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let zigbeeGateway: { id: string; secret: string };
  let shellyDevice: { id: string; secret: string };

  const seal = async (id: string) => (await svc.api('GET', `/api/seals/${id}`)).body;
  const metrics = async () => (await svc.api('GET', '/metrics', undefined, null)).body as string;

  beforeAll(async () => {
    svc = await startService();
    await svc.api('POST', '/api/grid', { id: 'village', name: '东村', parentId: null, level: 'village' });
    const sensors: Array<{ id: string; friendlyName?: string }> = [
      { id: 'zb-1', friendlyName: 'door/east-12' },
      { id: 'zb-2', friendlyName: 'door_west_3' },
      { id: 'zb-native' },
      { id: 'sh-1', friendlyName: 'shellydw2-8A1B2C' },
      { id: 'outsider' },
    ];
    for (const s of sensors) {
      await svc.api('POST', '/api/households', { id: `h-${s.id}`, gridId: 'village', address: `${s.id} 号` });
      await svc.api('POST', '/api/quarantines', {
        householdId: `h-${s.id}`,
        start: new Date(Date.now() - 60_000).toISOString(),
      });
      const res = await svc.api('POST', '/api/sensors', {
        id: s.id,
        householdId: `h-${s.id}`,
        friendlyName: s.friendlyName,
      });
      expect(res.status).toBe(201);
    }
    const gw = await svc.api('POST', '/api/gateways', {
      id: 'zigbee-gw-1',
      name: 'East wing',
      sensorIds: ['zb-1', 'zb-2', 'zb-native'],
    });
    expect(gw.status).toBe(201);
    zigbeeGateway = { id: 'zigbee-gw-1', secret: gw.body.secret };
    const sh = await svc.api('POST', '/api/gateways', {
      id: 'shellydw2-8A1B2C',
      name: 'Shelly DW2',
      sensorIds: ['sh-1'],
    });
    shellyDevice = { id: 'shellydw2-8A1B2C', secret: sh.body.secret };
  });
  afterAll(async () => svc?.cleanup());

  it('Zigbee2MQTT contact payloads drive the seal state like native ones', async () => {
    const gw = await connectSensor(svc.mqttUrl, zigbeeGateway.id, zigbeeGateway.secret);
    const closedDoor = {
      battery: 100,
      contact: true,
      device_temperature: 23,
      linkquality: 134,
      power_outage_count: 0,
      voltage: 3025,
    };
    await gw.publishAsync('zigbee2mqtt/door/east-12', JSON.stringify(closedDoor), { qos: 1 });
    expect(await seal('zb-1')).toMatchObject({ door: 'closed', battery: 100, online: true, armed: true });

    await gw.publishAsync(
      'zigbee2mqtt/door/east-12',
      JSON.stringify({ ...closedDoor, contact: false, battery: 97 }),
      { qos: 1 },
    );
    expect(await seal('zb-1')).toMatchObject({ door: 'open', battery: 97 });
    const history = (await svc.api('GET', '/api/seals/zb-1/history')).body.items;
    expect(history[0]).toMatchObject({ type: 'open', dialect: 'zigbee2mqtt' });

    // Availability, legacy and JSON forms.
    await gw.publishAsync('zigbee2mqtt/door/east-12/availability', JSON.stringify({ state: 'offline' }), {
      qos: 1,
    });
    expect((await seal('zb-1')).online).toBe(false);
    await gw.publishAsync('zigbee2mqtt/door/east-12/availability', 'online', { qos: 1 });
    expect((await seal('zb-1')).online).toBe(true);

    // The bridge's own topics are not seal messages and are not errors.
    await gw.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'online' }), { qos: 1 });
    // A gateway may also speak the native protocol for its sensors.
    await gw.publishAsync('seal/zb-native/event', eventPayload('open', 1), { qos: 1 });
    expect((await seal('zb-native')).door).toBe('open');
    await gw.endAsync();
  });

  it('an unknown friendly name is dropped and counted; a sensor not on the gateway’s list closes the connection', async () => {
    const gw = await connectSensor(svc.mqttUrl, zigbeeGateway.id, zigbeeGateway.secret);
    await gw.publishAsync('zigbee2mqtt/nobody', JSON.stringify({ contact: false }), { qos: 1 });
    expect(
      metricValue(await metrics(), 'sealwatch_messages_rejected_total', { reason: 'unknown_sensor' }),
    ).toBe(1);
    const before = await seal('outsider');
    const closing = closed(gw);
    gw.publish('seal/outsider/event', eventPayload('open', 1), { qos: 1 });
    await closing;
    gw.end(true);
    expect(await seal('outsider')).toEqual(before);
  });

  it('Shelly Door/Window 2 topics drive the seal state', async () => {
    const dev = await connectSensor(svc.mqttUrl, shellyDevice.id, shellyDevice.secret);
    await dev.publishAsync('shellies/shellydw2-8A1B2C/sensor/battery', '97', { qos: 1 });
    await dev.publishAsync('shellies/shellydw2-8A1B2C/sensor/state', 'open', { qos: 1 });
    expect(await seal('sh-1')).toMatchObject({ door: 'open', battery: 97, online: true });
    await dev.publishAsync('shellies/shellydw2-8A1B2C/sensor/state', 'close', { qos: 1 });
    await dev.publishAsync('shellies/shellydw2-8A1B2C/sensor/lux', '120', { qos: 1 });
    expect((await seal('sh-1')).door).toBe('closed');
    // The DW2 sleeps between reports; `online=false` then is not offline (issue 15).
    await dev.publishAsync('shellies/shellydw2-8A1B2C/online', 'false', { qos: 1 });
    expect((await seal('sh-1')).online).toBe(true);
    await dev.endAsync();
  });

  it('counts messages per dialect', async () => {
    const text = await metrics();
    expect(metricValue(text, 'sealwatch_messages_total', { dialect: 'zigbee2mqtt' })).toBeGreaterThanOrEqual(
      4,
    );
    // battery, open, close, lux (no message) and online=false (asleep, no message): three accepted.
    expect(metricValue(text, 'sealwatch_messages_total', { dialect: 'shelly' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'sealwatch_messages_total', { dialect: 'native' })).toBeGreaterThanOrEqual(1);
  });

  it('a service client with a technician token reads seal topics but cannot publish events', async () => {
    const tech = await svc.api('POST', '/api/tokens', {
      role: 'technician',
      gridId: 'village',
      name: 'installer',
    });
    const watcher = await connectClient(svc.mqttUrl, {
      clientId: 'watch-1',
      username: 'token',
      password: tech.body.token,
    });
    const seen = new Promise<string>((resolve) => watcher.on('message', (topic) => resolve(topic)));
    await watcher.subscribeAsync('seal/zb-native/#', { qos: 1 });
    const gw = await connectSensor(svc.mqttUrl, zigbeeGateway.id, zigbeeGateway.secret);
    await gw.publishAsync('seal/zb-native/event', eventPayload('close', 2), { qos: 1 });
    expect(await seen).toBe('seal/zb-native/event');
    await gw.endAsync();

    // A technician of another grid subscribed to everything sees nothing of this village.
    await svc.api('POST', '/api/grid', { id: 'elsewhere', name: '西村', parentId: null, level: 'village' });
    const other = await svc.api('POST', '/api/tokens', {
      role: 'technician',
      gridId: 'elsewhere',
      name: 'other',
    });
    const outsider = await connectClient(svc.mqttUrl, {
      clientId: 'watch-2',
      username: 'token',
      password: other.body.token,
    });
    const leaked: string[] = [];
    outsider.on('message', (topic) => leaked.push(topic));
    await outsider.subscribeAsync('seal/#', { qos: 1 });
    await outsider.subscribeAsync('zigbee2mqtt/#', { qos: 1 });
    const gw2 = await connectSensor(svc.mqttUrl, zigbeeGateway.id, zigbeeGateway.secret);
    await gw2.publishAsync(
      'seal/zb-native/heartbeat',
      JSON.stringify({ ts: Date.now(), seq: 9, door: 'closed', battery: 80, rssi: -50 }),
      { qos: 1 },
    );
    await gw2.publishAsync('zigbee2mqtt/door_west_3', JSON.stringify({ contact: true, battery: 90 }), {
      qos: 1,
    });
    await gw2.endAsync();
    await new Promise((r) => setTimeout(r, 200));
    expect(leaked).toEqual([]);
    await outsider.endAsync();
    const closing = closed(watcher);
    watcher.publish('seal/zb-native/event', eventPayload('open', 3), { qos: 1 });
    await closing;
    watcher.end(true);
    expect((await seal('zb-native')).door).toBe('closed');
  });
});
