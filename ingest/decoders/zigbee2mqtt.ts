import { z } from 'zod';
import type { SealMessage } from '../../core/sealMessage.ts';
import { type DecodeContext, type DecodeResult, type DialectDecoder, parseJson, reject } from './dialect.ts';

const PREFIX = 'zigbee2mqtt/';
const AVAILABILITY = '/availability';

/**
 * The state Zigbee2MQTT publishes for contact sensors (Aqara MCCGQ11LM,
 * Sonoff SNZB-04, Tuya …). `contact: false` means the magnet is away: the
 * door is open. Other keys vary by model and are ignored.
 */
const contactState = z.looseObject({
  contact: z.boolean(),
  battery: z.number().min(0).max(100).nullish(),
  linkquality: z.number().nullish(),
  tamper: z.boolean().nullish(),
});

/** Availability: `online`/`offline` (legacy) or `{"state":"online"}` (Zigbee2MQTT ≥ 1.22). */
const availability = z.union([
  z.enum(['online', 'offline']),
  z.object({ state: z.enum(['online', 'offline']) }),
]);

export const zigbee2mqttDecoder: DialectDecoder = {
  name: 'zigbee2mqtt',
  // Friendly names may contain '/': everything under the base topic.
  topicFilters: ['zigbee2mqtt/#'],
  matches: (topic) => topic.startsWith(PREFIX),
  decode(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult {
    const rest = topic.slice(PREFIX.length);
    // The bridge's own topics (state, logs, device lists) and commands are not seal messages.
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
      const text = payload.toString('utf8');
      const json = parseJson(payload);
      const parsed = availability.safeParse(json.ok ? json.value : text);
      if (!parsed.success)
        return reject(
          'schema',
          'availability must be online/offline or {"state":"online|offline"}',
          sensorId,
        );
      const state = typeof parsed.data === 'string' ? parsed.data : parsed.data.state;
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
    const { contact, battery, tamper } = parsed.data;
    // Every state message counts as a heartbeat carrying the door position;
    // ingest turns a changed position into a door event.
    return ok({
      ...base,
      kind: 'heartbeat',
      door: contact ? 'closed' : 'open',
      battery: battery ?? null,
      // linkquality is an LQI (0–255), not dBm; it is not passed off as RSSI.
      rssi: null,
      ...(tamper === null || tamper === undefined ? {} : { tamper }),
    });
  },
};

const ok = (message: SealMessage): DecodeResult => ({ ok: true, messages: [message] });
