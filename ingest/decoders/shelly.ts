import { DIALECT_TOPIC_FILTERS } from '../../contract/topics.ts';
import { type DecodeContext, type DecodeResult, type DialectDecoder, ok, reject } from './dialect.ts';

/**
 * Shelly Door/Window 2 (Gen1 MQTT API, https://shelly-api-docs.shelly.cloud/gen1/#shelly-door-window-1-2-mqtt
 * and #mqtt-support): `shellies/<device id>/sensor/state` is `open` or `close`, `…/sensor/battery` a
 * percentage, `shellies/<device id>/online` the connection will (`true`/`false`), and
 * `shellies/<device id>/command` (and `shellies/command`) carries commands *to* the device. The
 * device id (e.g. shellydw2-8A1B2C) is bound to a sensor as its friendly name.
 *
 * The Door/Window 2 is battery-powered and sleeps between reports: it connects, publishes, and
 * disconnects, so its will sets `online` to `false` after every report
 * (https://taphome.com/en/compatibility/shelly-door-window-mqtt: "the sensor sleeps most of the time
 * and publishes data only on wake-up events"). `online=false` is therefore not "offline" for this
 * sensor: it is ignored, and a silent Shelly is found by the offline rule's missed reports like any
 * other seal. `online=true` counts as a sign of life.
 */
const TOPIC =
  /^shellies\/([^/]+)\/(sensor\/state|sensor\/battery|online|sensor\/[^/]+|announce|info|command)$/;

export const shellyDecoder: DialectDecoder = {
  name: 'shelly',
  topicFilters: DIALECT_TOPIC_FILTERS.shelly,
  matches: (topic) => topic.startsWith('shellies/'),
  decode(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult {
    // Device-wide announcements and commands to all Shellies are not seal messages.
    if (topic === 'shellies/announce' || topic === 'shellies/command') return { ok: true, messages: [] };
    const match = TOPIC.exec(topic);
    if (!match) return reject('bad_topic', `not a Shelly Door/Window topic: ${topic}`);
    const [, deviceId, channel] = match as unknown as [string, string, string];
    // Tilt, lux, temperature, vibration, announcements, commands to the device: not seal messages.
    if (channel !== 'sensor/state' && channel !== 'sensor/battery' && channel !== 'online')
      return { ok: true, messages: [] };
    const sensorId = ctx.sensorIdForName(deviceId);
    if (!sensorId) return reject('unknown_sensor', `no sensor is bound to Shelly device '${deviceId}'`);
    const text = payload.toString('utf8').trim();
    const base = {
      sensorId,
      dialect: 'shelly' as const,
      receivedAt: ctx.receivedAt,
      ts: ctx.receivedAt,
      seq: null,
    };

    if (channel === 'sensor/state') {
      if (text !== 'open' && text !== 'close')
        return reject('schema', `sensor/state must be open or close, got '${text.slice(0, 20)}'`, sensorId);
      return ok({ ...base, kind: 'door', door: text === 'open' ? 'open' : 'closed' });
    }
    if (channel === 'online') {
      if (text !== 'true' && text !== 'false')
        return reject('schema', 'online must be true or false', sensorId);
      // Asleep, not gone: see above.
      if (text === 'false') return { ok: true, messages: [] };
      return ok({ ...base, kind: 'status', online: true, seq: null });
    }
    const battery = Number(text);
    if (text === '' || !Number.isFinite(battery) || battery < 0 || battery > 100) {
      return reject('schema', `sensor/battery must be 0–100, got '${text.slice(0, 20)}'`, sensorId);
    }
    return ok({ ...base, kind: 'heartbeat', door: null, battery, rssi: null });
  },
};
