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
import { eventFromBytes, heartbeatFromBytes } from './nativeFastPath.ts';

const describe = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/**
 * The payload's data by JSON.parse and the schema, or why not (bad JSON, or the schema's issues):
 * what the fast path in ./nativeFastPath.ts leaves to them.
 */
function bySchema<T>(
  schema: z.ZodType<T>,
  payload: Buffer,
): T | { reason: 'bad_json' | 'schema'; detail: string } {
  const json = parseJson(payload);
  if (!json.ok) return { reason: 'bad_json', detail: json.detail };
  const result = schema.safeParse(json.value);
  return result.success ? result.data : { reason: 'schema', detail: describe(result.error) };
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

    if (channel === 'event') {
      const event = eventFromBytes(payload) ?? bySchema(nativeEventSchema, payload);
      if ('reason' in event) return reject(event.reason, event.detail, sensorId);
      const { type, ts, seq } = event;
      if (type === 'tamper') return ok({ sensorId, dialect, receivedAt, kind: 'tamper', ts, seq });
      const door = type === 'open' ? 'open' : 'closed';
      return ok({ sensorId, dialect, receivedAt, kind: 'door', door, ts, seq });
    }

    const hb = heartbeatFromBytes(payload) ?? bySchema(nativeHeartbeatSchema, payload);
    if ('reason' in hb) return reject(hb.reason, hb.detail, sensorId);
    const { ts, seq, door, battery, rssi } = hb;
    return ok({ sensorId, dialect, receivedAt, kind: 'heartbeat', ts, seq, door, battery, rssi });
  },
};
