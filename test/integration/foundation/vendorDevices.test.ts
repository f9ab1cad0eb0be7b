/**
 * Issue 15, "Vendor details", device side, against the running service with real MQTT clients
 * speaking the vendors' documented payloads:
 * - Zigbee2MQTT contact sensors: `contact`, `battery_low`, `battery` 0–100
 *   (https://www.zigbee2mqtt.io/devices/SNZB-04.html).
 * - Shelly Door/Window 2, Gen1 MQTT: `shellies/<id>/online` (its will: `false` while it sleeps) and
 *   commands on `shellies/<id>/command` (https://shelly-api-docs.shelly.cloud/gen1/#mqtt-support).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { connectSensor } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

describe('vendor devices in the running service', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let zigbee: { id: string; secret: string };
  let shelly: { id: string; secret: string };
  const seal = async (id: string) => (await svc.api('GET', `/api/seals/${id}`)).body;
  const metrics = async () => (await svc.api('GET', '/metrics', undefined, null)).body as string;
  const openAlerts = async () =>
    (await svc.api('GET', '/api/alerts?status=open')).body as Array<{ type: string; sensorId?: string }>;

  beforeAll(async () => {
    svc = await startService();
    await svc.api('POST', '/api/grid', { id: 'village', name: '东村', parentId: null, level: 'village' });
    await svc.api('POST', '/api/workers', { id: 'w1', name: '王', gridId: 'village', role: 'worker' });
    for (const s of [
      { id: 'zb-1', friendlyName: 'door/east-12' },
      { id: 'sh-1', friendlyName: 'shellydw2-8A1B2C' },
    ]) {
      await svc.api('POST', '/api/households', { id: `h-${s.id}`, gridId: 'village', address: `${s.id} 号` });
      await svc.api('POST', '/api/quarantines', {
        householdId: `h-${s.id}`,
        start: new Date(Date.now() - 60_000).toISOString(),
      });
      expect((await svc.api('POST', '/api/sensors', { ...s, householdId: `h-${s.id}` })).status).toBe(201);
    }
    const gw = await svc.api('POST', '/api/gateways', { id: 'zigbee-gw', name: 'gw', sensorIds: ['zb-1'] });
    zigbee = { id: 'zigbee-gw', secret: gw.body.secret };
    const sh = await svc.api('POST', '/api/gateways', {
      id: 'shellydw2-8A1B2C',
      name: 'Shelly DW2',
      sensorIds: ['sh-1'],
    });
    shelly = { id: 'shellydw2-8A1B2C', secret: sh.body.secret };
  });
  afterAll(async () => svc?.cleanup());

  it('Zigbee2MQTT battery_low: true raises the low-battery alert', async () => {
    const gw = await connectSensor(svc.mqttUrl, zigbee.id, zigbee.secret);
    await gw.publishAsync('zigbee2mqtt/door/east-12', JSON.stringify({ contact: true, battery_low: true }), {
      qos: 1,
    });
    await gw.endAsync();
    await eventually(async () =>
      (await openAlerts()).some((a) => a.type === 'lowBattery' && a.sensorId === 'zb-1'),
    );
  });

  it('a Zigbee2MQTT message without contact is a heartbeat, not a rejection', async () => {
    const rejectedBefore = metricValue(await metrics(), 'sealwatch_messages_rejected_total', {
      reason: 'schema',
    });
    const gw = await connectSensor(svc.mqttUrl, zigbee.id, zigbee.secret);
    await gw.publishAsync('zigbee2mqtt/door/east-12', JSON.stringify({ linkquality: 80, voltage: 2900 }), {
      qos: 1,
    });
    await gw.endAsync();
    const text = await metrics();
    expect(metricValue(text, 'sealwatch_messages_rejected_total', { reason: 'schema' })).toBe(rejectedBefore);
    expect(metricValue(text, 'sealwatch_messages_total', { dialect: 'zigbee2mqtt' })).toBe(2);
    expect(await seal('zb-1')).toMatchObject({ door: 'closed', online: true });
  });

  it('a battery out of range is ignored and counted; the door change it came with is kept', async () => {
    const gw = await connectSensor(svc.mqttUrl, zigbee.id, zigbee.secret);
    await gw.publishAsync('zigbee2mqtt/door/east-12', JSON.stringify({ contact: false, battery: 255 }), {
      qos: 1,
    });
    await gw.endAsync();
    expect(await seal('zb-1')).toMatchObject({ door: 'open' });
    expect((await seal('zb-1')).battery).not.toBe(255);
    const text = await metrics();
    expect(
      metricValue(text, 'sealwatch_message_fields_ignored_total', {
        dialect: 'zigbee2mqtt',
        field: 'battery',
      }),
    ).toBe(1);
  });

  it('Shelly DW2 asleep (online=false) is not offline; it may subscribe to and carry its command topic', async () => {
    const dev = await connectSensor(svc.mqttUrl, shelly.id, shelly.secret);
    await dev.publishAsync('shellies/shellydw2-8A1B2C/sensor/state', 'close', { qos: 1 });
    const granted = await Promise.race([
      dev.subscribeAsync(['shellies/shellydw2-8A1B2C/command', 'shellies/command'], { qos: 1 }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no SUBACK')), 5_000)),
    ]);
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    const rejectedBefore = metricValue(await metrics(), 'sealwatch_messages_rejected_total', {
      reason: 'bad_topic',
    });
    await dev.publishAsync('shellies/shellydw2-8A1B2C/command', 'announce', { qos: 1 });
    await dev.publishAsync('shellies/shellydw2-8A1B2C/online', 'false', { qos: 1 });
    expect(dev.connected).toBe(true);
    await dev.endAsync();
    expect(metricValue(await metrics(), 'sealwatch_messages_rejected_total', { reason: 'bad_topic' })).toBe(
      rejectedBefore,
    );
    expect(await seal('sh-1')).toMatchObject({ door: 'closed', online: true });
  });
});
