import { z } from 'zod';
import { DIALECT_TOPIC_FILTERS } from '../../contract/topics.ts';
import {
  type DecodeContext,
  type DecodeResult,
  type DialectDecoder,
  ok,
  parseJson,
  reject,
} from './dialect.ts';

const PREFIX = 'zigbee2mqtt/';
const AVAILABILITY = '/availability';

/**
 * The state Zigbee2MQTT publishes for contact sensors (Aqara MCCGQ11LM,
 * Sonoff SNZB-04, Tuya …), e.g. https://www.zigbee2mqtt.io/devices/SNZB-04.html:
 * `contact` (binary, `false` = the magnet is away: the door is open),
 * `battery_low` (binary, `true` = "the battery of the device is almost empty"),
 * `battery` (numeric, 0–100 %), `tamper`. Other keys vary by model and are ignored.
 *
 * Zigbee2MQTT publishes the device's whole known state whenever any attribute
 * is reported, and a report without the contact attribute (battery, link
 * quality, a device that has not reported its contact yet) comes without
 * `contact`: that is a sign of life, not a bad message. A battery value out of
 * 0–100 (firmware reporting 255 for "unknown", a bad converter) is left out and
 * counted; it never drops the door position it came with.
 */
const contactState = z.looseObject({
  contact: z.boolean().nullish(),
  battery: z.unknown().optional(),
  battery_low: z.boolean().nullish(),
  linkquality: z.number().nullish(),
  tamper: z.boolean().nullish(),
});

const validBattery = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;

/** Availability: `online`/`offline` (legacy) or `{"state":"online"}` (Zigbee2MQTT ≥ 1.22). */
const availability = z.union([
  z.enum(['online', 'offline']),
  z.object({ state: z.enum(['online', 'offline']) }),
]);

/**
 * The bridge's own state, in the same two forms as a device's availability. Zigbee2MQTT publishes
 * `online` on every connect, `offline` before a clean stop, and sets `offline` as its MQTT last
 * will, so the broker publishes it when the connection is lost
 * (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html#zigbee2mqtt-bridge-state;
 * lib/mqtt.ts: `will: {topic: <base>/bridge/state, payload: availabilityPayload('offline'), retain, qos: 1}`).
 */
const BRIDGE_STATE = 'bridge/state';

function parseAvailability(payload: Buffer): 'online' | 'offline' | null {
  const json = parseJson(payload);
  const parsed = availability.safeParse(json.ok ? json.value : payload.toString('utf8'));
  if (!parsed.success) return null;
  return typeof parsed.data === 'string' ? parsed.data : parsed.data.state;
}

export const zigbee2mqttDecoder: DialectDecoder = {
  name: 'zigbee2mqtt',
  // Friendly names may contain '/': everything under the base topic.
  topicFilters: DIALECT_TOPIC_FILTERS.zigbee2mqtt,
  matches: (topic) => topic.startsWith(PREFIX),
  decode(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult {
    const rest = topic.slice(PREFIX.length);
    if (rest === BRIDGE_STATE) {
      const state = parseAvailability(payload);
      if (state === null)
        return reject('schema', 'bridge state must be online/offline or {"state":"online|offline"}');
      return { ok: true, messages: [], gatewayOnline: state === 'online' };
    }
    // The bridge's other topics (logs, device lists) and commands are not seal messages.
    if (rest.startsWith('bridge/') || rest.endsWith('/set') || rest.endsWith('/get'))
      return { ok: true, messages: [] };
    const isAvailability = rest.endsWith(AVAILABILITY);
    // Friendly names may contain '/', so the name is everything between prefix and suffix.
    const friendlyName = isAvailability ? rest.slice(0, -AVAILABILITY.length) : rest;
    const sensorId = ctx.sensorIdForName(friendlyName);
    if (!sensorId) return reject('unknown_sensor', `no sensor is bound to friendly name '${friendlyName}'`);
    const base = {
      sensorId,
      dialect: 'zigbee2mqtt' as const,
      receivedAt: ctx.receivedAt,
      ts: ctx.receivedAt,
      seq: null,
    };

    if (isAvailability) {
      const state = parseAvailability(payload);
      if (state === null)
        return reject(
          'schema',
          'availability must be online/offline or {"state":"online|offline"}',
          sensorId,
        );
      return ok({ ...base, kind: 'status', online: state === 'online', seq: null });
    }

    const json = parseJson(payload);
    if (!json.ok) return reject('bad_json', json.detail, sensorId);
    const parsed = contactState.safeParse(json.value);
    if (!parsed.success) {
      return reject(
        'schema',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
        sensorId,
      );
    }
    const { contact, battery, battery_low: batteryLow, tamper } = parsed.data;
    const batteryOk = validBattery(battery);
    const ignored = battery !== undefined && battery !== null && !batteryOk ? ['battery'] : [];
    // Every state message counts as a heartbeat carrying the door position (when it has one);
    // ingest turns a changed position into a door event.
    return ok(
      {
        ...base,
        kind: 'heartbeat',
        door: contact === null || contact === undefined ? null : contact ? 'closed' : 'open',
        battery: batteryOk ? battery : null,
        ...(batteryLow === null || batteryLow === undefined ? {} : { batteryLow }),
        // linkquality is an LQI (0–255), not dBm; it is not passed off as RSSI.
        rssi: null,
        ...(tamper === null || tamper === undefined ? {} : { tamper }),
      },
      ignored,
    );
  },
};
