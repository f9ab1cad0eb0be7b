/**
 * The native payloads read without zod, for the ingest hot path: zod's safeParse was the largest single
 * cost per message in the ingest profile (issue 20.1). Each reader accepts only what
 * contract/topics.ts's schema certainly accepts and returns the same values; anything else returns
 * null and the caller lets the schema decide (and word the rejection). So the schema stays the
 * contract and this file can only ever be a shortcut to its answer.
 */
import type { NativeEvent, NativeHeartbeat } from '../../contract/topics.ts';

/** zod's `z.number().int().min(0)`: a safe integer ≥ 0. */
const isEpochMs = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isUint32 = (v: unknown): v is number => isEpochMs(v) && v <= 0xffff_ffff;
const inRange = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && v >= min && v <= max;

/** A plain JSON object with exactly `keys` own keys (zod's strictObject with every key required). */
function hasExactly(value: unknown, keys: number): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let n = 0;
  for (const _ in value) n++;
  return n === keys;
}

/** nativeHeartbeatSchema's data, or null: let the schema decide. */
export function fastHeartbeat(value: unknown): NativeHeartbeat | null {
  if (!hasExactly(value, 5)) return null;
  const { ts, seq, door, battery, rssi } = value;
  if (!isEpochMs(ts) || !isUint32(seq) || (door !== 'open' && door !== 'closed')) return null;
  if (!inRange(battery, 0, 100) || !inRange(rssi, -200, 50)) return null;
  // Exactly these five keys, each checked: the parsed object is the data, no copy (issue 20.1).
  return value as NativeHeartbeat;
}

/** nativeEventSchema's data, or null: let the schema decide. */
export function fastEvent(value: unknown): NativeEvent | null {
  if (!hasExactly(value, 3)) return null;
  const { type, ts, seq } = value;
  if (type !== 'open' && type !== 'close' && type !== 'tamper') return null;
  if (!isEpochMs(ts) || !isUint32(seq)) return null;
  return value as NativeEvent;
}
