/**
 * Issue 15, "Vendor details", the device side, checked against the vendors' documentation:
 * - Zigbee2MQTT contact sensors expose `contact`, `battery_low` ("Indicates whether the battery of
 *   the device is almost empty") and `battery` (0–100 %):
 *   https://www.zigbee2mqtt.io/devices/SNZB-04.html
 * - Shelly Door/Window 2 (Gen1 MQTT): `shellies/<id>/sensor/state`, `…/sensor/battery`, `…/online`,
 *   and commands to the device on `shellies/<id>/command` and `shellies/command`:
 *   https://shelly-api-docs.shelly.cloud/gen1/#shelly-door-window-1-2-mqtt ; the DW2 sleeps between
 *   reports (https://taphome.com/en/compatibility/shelly-door-window-mqtt), so its `online` turns
 *   `false` after every report.
 */
import { describe, expect, it } from 'vitest';
import { evaluateBattery } from '../../../alerting/rules/lowBattery.ts';
import { canSubscribe } from '../../../broker/acl.ts';
import type { Identity } from '../../../broker/identity.ts';
import { sensorIdForTopic } from '../../../ingest/decoders/index.ts';
import { shellyDecoder } from '../../../ingest/decoders/shelly.ts';
import { zigbee2mqttDecoder } from '../../../ingest/decoders/zigbee2mqtt.ts';
import { context } from './decoderFixtures.ts';

const z2m = (payload: string) =>
  zigbee2mqttDecoder.decode(
    'zigbee2mqtt/front-door',
    Buffer.from(payload),
    context({ 'front-door': 's-z01' }),
  );
const DW2 = 'shellies/shellydw2-8A1B2C';
const shelly = (topic: string, payload: string) =>
  shellyDecoder.decode(topic, Buffer.from(payload), context({ 'shellydw2-8A1B2C': 's-sh01' }));

describe('Zigbee2MQTT contact sensor state', () => {
  it('battery_low: true is carried to the low-battery rule', () => {
    const r = z2m('{"contact":true,"battery_low":true,"linkquality":90}');
    expect(r.ok && r.messages[0]).toMatchObject({ kind: 'heartbeat', door: 'closed', batteryLow: true });
  });

  it('a message without contact is a heartbeat, not a rejection', () => {
    const r = z2m('{"battery":87,"linkquality":60,"voltage":2900}');
    expect(r).toMatchObject({ ok: true, messages: [{ kind: 'heartbeat', door: null, battery: 87 }] });
  });

  it.each([
    ['{"contact":false,"battery":255}'],
    ['{"contact":false,"battery":-1}'],
    ['{"contact":false,"battery":"low"}'],
  ])('an out-of-range battery in %s is ignored and counted; the door change is kept', (payload) => {
    const r = z2m(payload);
    expect(r).toMatchObject({
      ok: true,
      messages: [{ kind: 'heartbeat', door: 'open', battery: null }],
      ignored: ['battery'],
    });
  });
});

describe('low battery from the device flag', () => {
  const input = {
    sensorId: 's-z01',
    householdId: 'h1',
    gridId: 'g1',
    notified: false,
    commissioning: false,
    active: null,
    at: 1,
    policy: { lowBatteryPct: 20, batteryReplacedPct: 90 },
  };

  it('battery_low: true raises the low-battery alert even without a percentage', () => {
    const d = evaluateBattery({ ...input, battery: null, batteryLow: true });
    expect(d.map((x) => x.kind)).toEqual(['raise', 'setLowBatteryNotified']);
  });

  it('battery_low: true with a percentage still high is low (the device knows its cells)', () => {
    const d = evaluateBattery({ ...input, battery: 80, batteryLow: true });
    expect(d.map((x) => x.kind)).toEqual(['raise', 'setLowBatteryNotified']);
  });

  it('battery_low: false alone re-arms nothing', () => {
    expect(evaluateBattery({ ...input, notified: true, battery: null, batteryLow: false })).toEqual([]);
  });
});

describe('Shelly Door/Window 2', () => {
  it('online=false while it sleeps is not offline: no status message', () => {
    expect(shelly(`${DW2}/online`, 'false')).toEqual({ ok: true, messages: [] });
  });

  it.each([`${DW2}/command`, 'shellies/command'])('%s is accepted and ignored, not rejected', (topic) => {
    expect(shelly(topic, 'announce')).toEqual({ ok: true, messages: [] });
  });

  it('the ACL lets a Shelly subscribe to its own command topic and the broadcast one, not to others', () => {
    const gw: Identity = { kind: 'gateway', id: 'shellydw2-8A1B2C', sensorIds: new Set(['s-sh01']) };
    const byTopic = (t: string) =>
      sensorIdForTopic(t, (name) =>
        name === 'shellydw2-8A1B2C' ? 's-sh01' : name === 'other' ? 's-x' : undefined,
      );
    expect(canSubscribe(gw, `${DW2}/command`, byTopic)).toBe(true);
    expect(canSubscribe(gw, 'shellies/command', byTopic)).toBe(true);
    expect(canSubscribe(gw, 'shellies/other/command', byTopic)).toBe(false);
    expect(canSubscribe(gw, 'shellies/+/command', byTopic)).toBe(false);
    expect(canSubscribe(gw, 'shellies/#', byTopic)).toBe(false);
  });
});

describe('the low-battery message for a device that sends only the flag', () => {
  it('says the seal reports its battery low instead of "?%"', async () => {
    const { alertMessage } = await import('../../../alerting/notificationTexts.ts');
    const view = alertMessage({
      locale: 'zh-CN',
      tz: 'Asia/Shanghai',
      event: 'opened',
      alert: {
        id: 'a1',
        type: 'lowBattery',
        severity: 'maintenance',
        openedAt: 0,
        count: 1,
        escalationLevel: 0,
      },
      detail: { battery: null, batteryLow: true, threshold: 20 },
      gridPath: [],
      now: 0,
    });
    expect(view.intro).toContain('门磁报告电池电量低');
    expect(view.intro).not.toContain('?%');
  });
});
