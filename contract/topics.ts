/**
 * The wire contract between seals and SealWatch: topic names and the native
 * payload schemas. Shared by the broker's ACL, the ingest decoders and the
 * simulator (which imports nothing else from the service, so it stays a true
 * outside client).
 */
import { z } from 'zod';

export const SENSOR_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_PAYLOAD_BYTES = 1024;

export const sensorIdSchema = z
  .string()
  .regex(SENSOR_ID_PATTERN, 'sensor id must match ^[A-Za-z0-9_-]{1,64}$');

export type NativeChannel = 'event' | 'heartbeat' | 'status' | 'config';

/**
 * The topic filters each dialect arrives on: the native protocol, Zigbee2MQTT
 * (its default base topic) and Shelly Gen1 (`shellies/<id>/…`). An external
 * broker's shared subscriptions and its ACL cover exactly these.
 */
export const DIALECT_TOPIC_FILTERS = {
  native: ['seal/+/event', 'seal/+/heartbeat', 'seal/+/status'],
  zigbee2mqtt: ['zigbee2mqtt/#'],
  shelly: ['shellies/#'],
} as const satisfies Record<string, readonly string[]>;

export const INGEST_TOPIC_FILTERS: readonly string[] = Object.values(DIALECT_TOPIC_FILTERS).flat();

export const sealTopic = (sensorId: string, channel: NativeChannel): string => `seal/${sensorId}/${channel}`;

/** Parses `seal/<id>/<channel>`; null when the topic is not a native one. */
export function parseSealTopic(topic: string): { sensorId: string; channel: NativeChannel } | null {
  // Called twice per message (ACL and decoder): found by indexOf rather than split, which built an
  // array per call (issue 20.1). A channel with a further `/` is none of the four below.
  if (!topic.startsWith('seal/')) return null;
  const slash = topic.indexOf('/', 5);
  if (slash < 0) return null;
  const channel = topic.slice(slash + 1);
  if (channel !== 'event' && channel !== 'heartbeat' && channel !== 'status' && channel !== 'config')
    return null;
  const sensorId = topic.slice(5, slash);
  if (!SENSOR_ID_PATTERN.test(sensorId)) return null;
  return { sensorId, channel };
}

const uint32 = z.number().int().min(0).max(0xffff_ffff);
const epochMs = z.number().int().min(0);

export const nativeEventSchema = z.strictObject({
  type: z.enum(['open', 'close', 'tamper']),
  ts: epochMs,
  seq: uint32,
});
export type NativeEvent = z.infer<typeof nativeEventSchema>;

export const nativeHeartbeatSchema = z.strictObject({
  ts: epochMs,
  seq: uint32,
  door: z.enum(['open', 'closed']),
  battery: z.number().min(0).max(100),
  rssi: z.number().min(-200).max(50),
});
export type NativeHeartbeat = z.infer<typeof nativeHeartbeatSchema>;

export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';

/** Zigbee2MQTT publishes device state on `zigbee2mqtt/<friendlyName>`. */
export const zigbee2mqttTopic = (friendlyName: string): string => `zigbee2mqtt/${friendlyName}`;
/** Shelly Gen1: `shellies/<device id>/sensor/state` (open|close), `…/sensor/battery` (percent). */
export const shellyTopic = (deviceId: string, channel: 'sensor/state' | 'sensor/battery'): string =>
  `shellies/${deviceId}/${channel}`;
