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
import { fastEvent, fastHeartbeat } from './nativeFastPath.ts';

const describe = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** The schema's data, or why not (what the fast path in ./nativeFastPath.ts leaves to it). */
function bySchema<T>(schema: z.ZodType<T>, value: unknown): T | string {
  const result = schema.safeParse(value);
  return result.success ? result.data : describe(result.error);
}

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
    const dialect = 'native' as const;
    const { receivedAt } = ctx;
    // Object literals below, not spreads of a shared base: the spread was a hot line in the ingest
    // profile (issue 20.1). The property order is the one the spread gave.

    if (channel === 'status') {
      const text = payload.toString('utf8');
      if (text !== STATUS_ONLINE && text !== STATUS_OFFLINE) {
        return reject('schema', `status must be '${STATUS_ONLINE}' or '${STATUS_OFFLINE}'`, sensorId);
      }
      const online = text === STATUS_ONLINE;
      return ok({ sensorId, dialect, receivedAt, kind: 'status', online, ts: receivedAt, seq: null });
    }

    const json = parseJson(payload);
    if (!json.ok) return reject('bad_json', json.detail, sensorId);

    if (channel === 'event') {
      const event = fastEvent(json.value) ?? bySchema(nativeEventSchema, json.value);
      if (typeof event === 'string') return reject('schema', event, sensorId);
      const { type, ts, seq } = event;
      if (type === 'tamper') return ok({ sensorId, dialect, receivedAt, kind: 'tamper', ts, seq });
      const door = type === 'open' ? 'open' : 'closed';
      return ok({ sensorId, dialect, receivedAt, kind: 'door', door, ts, seq });
    }

    const hb = fastHeartbeat(json.value) ?? bySchema(nativeHeartbeatSchema, json.value);
    if (typeof hb === 'string') return reject('schema', hb, sensorId);
    const { ts, seq, door, battery, rssi } = hb;
    return ok({ sensorId, dialect, receivedAt, kind: 'heartbeat', ts, seq, door, battery, rssi });
  },
};
