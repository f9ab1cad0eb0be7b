/**
 * What an NB-IoT seal sends through its carrier platform: the same JSON as the native MQTT payloads
 * (contract/topics.ts), with no topic to tell them apart, so an event is the object with a `type`:
 *   event     {"type":"open"|"close"|"tamper","ts":<epoch ms>,"seq":<uint32>}
 *   heartbeat {"ts":<epoch ms>,"seq":<uint32>,"door":"open"|"closed","battery":0-100,"rssi":<dBm>}
 * The platform carries the device's bytes as it got them: CTWing as base64 in `payload.APPdata`
 * (transparent products) or decoded into `payload.serviceData` (products with a profile); OneNET as
 * a datapoint's `value`, a JSON object or a string (the JSON text, or base64 of it). All of these are
 * read here. `ts` and `seq` make a platform's retry a duplicate, exactly as a QoS 1 redelivery.
 */
import type { z } from 'zod';
import { MAX_PAYLOAD_BYTES, nativeEventSchema, nativeHeartbeatSchema } from '../../contract/topics.ts';
import type { Dialect, SealMessage } from '../../core/sealMessage.ts';

export type SealPayloadResult = { ok: true; message: SealMessage } | { ok: false; detail: string };

const describe = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The payload as a JSON value: an object as it is, a string as JSON text or as base64 of it. */
function payloadValue(carried: unknown): { ok: true; value: unknown } | { ok: false; detail: string } {
  if (typeof carried !== 'string') return { ok: true, value: carried };
  if (carried.length > 2 * MAX_PAYLOAD_BYTES)
    return { ok: false, detail: `payload over ${MAX_PAYLOAD_BYTES} bytes` };
  const text = carried.trim();
  const asJson = (t: string) => {
    try {
      return { ok: true as const, value: JSON.parse(t) as unknown };
    } catch {
      return null;
    }
  };
  if (text.startsWith('{')) return asJson(text) ?? { ok: false, detail: 'payload is not valid JSON' };
  if (BASE64.test(text)) {
    const decoded = asJson(Buffer.from(text, 'base64').toString('utf8'));
    if (decoded) return decoded;
  }
  return { ok: false, detail: 'payload is neither JSON nor base64 of JSON' };
}

export function decodeSealPayload(
  carried: unknown,
  base: { sensorId: string; dialect: Dialect; receivedAt: number },
): SealPayloadResult {
  const read = payloadValue(carried);
  if (!read.ok) return read;
  const { value } = read;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, detail: 'payload must be a JSON object' };
  if (JSON.stringify(value).length > MAX_PAYLOAD_BYTES)
    return { ok: false, detail: `payload over ${MAX_PAYLOAD_BYTES} bytes` };
  if ('type' in value) {
    const event = nativeEventSchema.safeParse(value);
    if (!event.success) return { ok: false, detail: describe(event.error) };
    const { type, ts, seq } = event.data;
    if (type === 'tamper') return { ok: true, message: { ...base, kind: 'tamper', ts, seq } };
    return {
      ok: true,
      message: { ...base, kind: 'door', door: type === 'open' ? 'open' : 'closed', ts, seq },
    };
  }
  const hb = nativeHeartbeatSchema.safeParse(value);
  if (!hb.success) return { ok: false, detail: describe(hb.error) };
  const { ts, seq, door, battery, rssi } = hb.data;
  return { ok: true, message: { ...base, kind: 'heartbeat', ts, seq, door, battery, rssi } };
}
