import { describe, expect, it } from 'vitest';
import { shellyDecoder } from '../../../ingest/decoders/shelly.ts';
import { zigbee2mqttDecoder } from '../../../ingest/decoders/zigbee2mqtt.ts';
import { context, RECEIVED_AT } from './decoderFixtures.ts';

const z2mCtx = context({ 'front-door': 's-z01', 'floor3/room2/door': 's-z02' });
const z2m = (topic: string, payload: string) =>
  zigbee2mqttDecoder.decode(topic, Buffer.from(payload), z2mCtx);

// Zigbee2MQTT's documented state for an Aqara MCCGQ11LM door/window sensor.
const AQARA_CLOSED =
  '{"battery":100,"contact":true,"device_temperature":23,"linkquality":134,"power_outage_count":0,"voltage":3025}';
const base = (sensorId: string, dialect: 'zigbee2mqtt' | 'shelly') => ({
  sensorId,
  dialect,
  ts: RECEIVED_AT,
  receivedAt: RECEIVED_AT,
  seq: null,
});

describe('Zigbee2MQTT decoder', () => {
  it('matches zigbee2mqtt/ topics', () => {
    expect(zigbee2mqttDecoder.matches('zigbee2mqtt/front-door')).toBe(true);
    expect(zigbee2mqttDecoder.matches('seal/s1/event')).toBe(false);
  });

  it('the Aqara MCCGQ11LM state (contact:true) is a heartbeat with the door closed; linkquality is not rssi', () => {
    expect(z2m('zigbee2mqtt/front-door', AQARA_CLOSED)).toEqual({
      ok: true,
      messages: [
        { ...base('s-z01', 'zigbee2mqtt'), kind: 'heartbeat', door: 'closed', battery: 100, rssi: null },
      ],
    });
  });

  it('contact:false means the door is open; tamper is carried', () => {
    const r = z2m('zigbee2mqtt/front-door', '{"contact":false,"battery":97,"linkquality":120,"tamper":true}');
    expect(r).toEqual({
      ok: true,
      messages: [
        {
          ...base('s-z01', 'zigbee2mqtt'),
          kind: 'heartbeat',
          door: 'open',
          battery: 97,
          rssi: null,
          tamper: true,
        },
      ],
    });
  });

  it('battery may be missing or null', () => {
    const r = z2m('zigbee2mqtt/front-door', '{"contact":true,"battery":null}');
    expect(r.ok && r.messages[0]).toMatchObject({ kind: 'heartbeat', battery: null });
  });

  it('friendly names may contain slashes', () => {
    const r = z2m('zigbee2mqtt/floor3/room2/door', '{"contact":true}');
    expect(r.ok && r.messages[0]?.sensorId).toBe('s-z02');
  });

  it.each([
    ['online', true],
    ['offline', false],
    ['{"state":"online"}', true],
    ['{"state":"offline"}', false],
  ])('availability %s', (payload, online) => {
    expect(z2m('zigbee2mqtt/front-door/availability', payload)).toEqual({
      ok: true,
      messages: [{ ...base('s-z01', 'zigbee2mqtt'), kind: 'status', online }],
    });
  });

  it.each([
    ['{"state":"offline"}', false],
    ['offline', false],
    ['{"state":"online"}', true],
    ['online', true],
  ])('the bridge’s state %s is the gateway’s own availability, for no sensor', (payload, online) => {
    // https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html#zigbee2mqtt-bridge-state
    expect(z2m('zigbee2mqtt/bridge/state', payload)).toEqual({
      ok: true,
      messages: [],
      gatewayOnline: online,
    });
  });

  it('a bridge state that is neither is refused', () => {
    expect(z2m('zigbee2mqtt/bridge/state', '{"state":"maybe"}')).toMatchObject({
      ok: false,
      reason: 'schema',
    });
  });

  it('the bridge’s other topics and commands are not seal messages (and not rejections)', () => {
    for (const topic of ['zigbee2mqtt/bridge/logging', 'zigbee2mqtt/front-door/set']) {
      expect(z2m(topic, '{"state":"online"}')).toEqual({ ok: true, messages: [] });
    }
  });

  it.each([
    ['zigbee2mqtt/back-door', AQARA_CLOSED, 'unknown_sensor', null],
    ['zigbee2mqtt/front-door', 'not json', 'bad_json', 's-z01'],
    ['zigbee2mqtt/front-door', '{"contact":"false"}', 'schema', 's-z01'],
    ['zigbee2mqtt/front-door/availability', 'maybe', 'schema', 's-z01'],
    ['zigbee2mqtt/front-door/availability', '{"state":"gone"}', 'schema', 's-z01'],
  ])('%s %s → %s', (topic, payload, reason, sensorId) => {
    expect(z2m(topic, payload)).toMatchObject({ ok: false, reason, sensorId });
  });
});

const shellyCtx = context({ 'shellydw2-8A1B2C': 's-sh01' });
const shelly = (topic: string, payload: string) =>
  shellyDecoder.decode(topic, Buffer.from(payload), shellyCtx);
const DW2 = 'shellies/shellydw2-8A1B2C';

describe('Shelly Door/Window 2 decoder', () => {
  it('matches shellies/ topics', () => {
    expect(shellyDecoder.matches(`${DW2}/sensor/state`)).toBe(true);
    expect(shellyDecoder.matches('zigbee2mqtt/x')).toBe(false);
  });

  it.each([
    ['open', 'open'],
    ['close', 'closed'],
  ])('sensor/state %s → door %s', (payload, door) => {
    expect(shelly(`${DW2}/sensor/state`, payload)).toEqual({
      ok: true,
      messages: [{ ...base('s-sh01', 'shelly'), kind: 'door', door }],
    });
  });

  it('sensor/battery 97 → heartbeat with battery only', () => {
    expect(shelly(`${DW2}/sensor/battery`, '97')).toEqual({
      ok: true,
      messages: [{ ...base('s-sh01', 'shelly'), kind: 'heartbeat', door: null, battery: 97, rssi: null }],
    });
  });

  it('online true', () => {
    expect(shelly(`${DW2}/online`, 'true')).toEqual({
      ok: true,
      messages: [{ ...base('s-sh01', 'shelly'), kind: 'status', online: true }],
    });
  });

  it('other DW2 sensor topics (tilt, lux, temperature, vibration) are not seal messages', () => {
    for (const ch of [
      'sensor/tilt',
      'sensor/lux',
      'sensor/temperature',
      'sensor/vibration',
      'announce',
      'info',
    ]) {
      expect(shelly(`${DW2}/${ch}`, '0')).toEqual({ ok: true, messages: [] });
    }
  });

  it('the global shellies/announce every Gen1 device publishes on connect is not a rejection', () => {
    const announce =
      '{"id":"shellydw2-8A1B2C","model":"SHDW-2","mac":"A4CF128A1B2C","ip":"192.168.1.50","new_fw":false,"fw_ver":"20230913-112531/v1.14.0-gcb84623"}';
    expect(shelly('shellies/announce', announce)).toEqual({ ok: true, messages: [] });
  });

  it.each([
    [`${DW2}/sensor/state`, 'opened', 'schema', 's-sh01'],
    [`${DW2}/sensor/battery`, '', 'schema', 's-sh01'],
    [`${DW2}/sensor/battery`, '101', 'schema', 's-sh01'],
    [`${DW2}/sensor/battery`, 'abc', 'schema', 's-sh01'],
    [`${DW2}/online`, 'yes', 'schema', 's-sh01'],
    ['shellies/shellydw2-FFFFFF/sensor/state', 'open', 'unknown_sensor', null],
    [`${DW2}/relay/0/command`, 'on', 'bad_topic', null],
  ])('%s %s → %s', (topic, payload, reason, sensorId) => {
    expect(shelly(topic, payload)).toMatchObject({ ok: false, reason, sensorId });
  });
});
