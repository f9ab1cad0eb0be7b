import type { z } from 'zod';
import {
  DIALECT_TOPIC_FILTERS,
  MAX_PAYLOAD_BYTES,
  nativeEventSchema,
  nativeHeartbeatSchema,
  parseSealTopic,
  STATUS_OFFLINE,
  STATUS_ONLINE,
} from '../../contract/topics.ts';
import {
  type DecodeContext,
  type DecodeResult,
  type DialectDecoder,
  ok,
  parseJson,
  reject,
} from './dialect.ts';

const describe = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** SealWatch's own protocol: `seal/<sensorId>/event|heartbeat|status`. */
export const nativeDecoder: DialectDecoder = {
  name: 'native',
  // Not `seal/+/config`: that is what the service writes to sensors.
  topicFilters: DIALECT_TOPIC_FILTERS.native,
  matches: (topic) => topic.startsWith('seal/'),
  decode(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult {
    const parsed = parseSealTopic(topic);
    if (!parsed || parsed.channel === 'config')
      return reject('bad_topic', `not a native seal topic: ${topic}`);
    const { sensorId, channel } = parsed;
    if (payload.length > MAX_PAYLOAD_BYTES) {
      return reject('too_large', `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`, sensorId);
    }
    const base = { sensorId, dialect: 'native' as const, receivedAt: ctx.receivedAt };

    if (channel === 'status') {
      const text = payload.toString('utf8');
      if (text !== STATUS_ONLINE && text !== STATUS_OFFLINE) {
        return reject('schema', `status must be '${STATUS_ONLINE}' or '${STATUS_OFFLINE}'`, sensorId);
      }
      return ok({ ...base, kind: 'status', online: text === STATUS_ONLINE, ts: ctx.receivedAt, seq: null });
    }

    const json = parseJson(payload);
    if (!json.ok) return reject('bad_json', json.detail, sensorId);

    if (channel === 'event') {
      const event = nativeEventSchema.safeParse(json.value);
      if (!event.success) return reject('schema', describe(event.error), sensorId);
      const { type, ts, seq } = event.data;
      if (type === 'tamper') return ok({ ...base, kind: 'tamper', ts, seq });
      return ok({ ...base, kind: 'door', door: type === 'open' ? 'open' : 'closed', ts, seq });
    }

    const hb = nativeHeartbeatSchema.safeParse(json.value);
    if (!hb.success) return reject('schema', describe(hb.error), sensorId);
    const { ts, seq, door, battery, rssi } = hb.data;
    return ok({ ...base, kind: 'heartbeat', ts, seq, door, battery, rssi });
  },
};
