/**
 * The native payloads read straight from their bytes, for the ingest hot path (issue 20.1): no string
 * of the payload, no object from JSON.parse, no zod. zod's safeParse was once the largest single cost
 * per message in the ingest profile; after it, `JSON.parse(payload.toString())` was (0.43 µs of the
 * service's 7.5 µs a message, and the string and the object it builds were garbage at once).
 *
 * Each reader accepts only payloads that are JSON (RFC 8259) which contract/topics.ts's schema
 * certainly accepts, and returns the same values JSON.parse and the schema would. Anything else (an
 * unknown or repeated key, an escape in a string, an exponent, more digits than a double holds, bytes
 * that are not JSON) returns null and the caller parses and lets the schema decide (and word the rejection). So the
 * schema stays the contract, and this file can only ever be a shortcut to its answer:
 * test/unit/ingest/nativeFastPath.test.ts compares the two on generated payloads.
 */
import type { NativeEvent, NativeHeartbeat } from '../../contract/topics.ts';

/** zod's `z.number().int().min(0)`: a safe integer ≥ 0. */
const isEpochMs = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;
const isUint32 = (v: number): boolean => isEpochMs(v) && v <= 0xffff_ffff;
const inRange = (v: number, min: number, max: number): boolean => v >= min && v <= max;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The byte at `i`, or -1 past the end. Reading past a Buffer's end gives undefined, and a loop that
 * does made V8's code for it twice as slow (ad hoc, 75-byte payloads).
 */
const byteAt = (b: Buffer, i: number): number => (i < b.length ? (b[i] as number) : -1);
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** RFC 8259 §2: the four whitespace characters allowed around tokens. */
function skipSpace(b: Buffer, i: number): number {
  for (let c = byteAt(b, i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = byteAt(b, ++i));
  return i;
}

/** The value the last `scanNumber` read (one number at a time: no object per number). */
let scanned = 0;

/**
 * A JSON number (RFC 8259 §6) at `i` into `scanned`; the index after it, or -1 to leave the payload
 * to JSON.parse. Only `-? int frac?` whose digits, read as one integer m, are at most 2^53 - 1, with
 * at most 22 after the point: m and 10^k are then exact doubles, so m / 10^k is one correctly rounded
 * operation and equals the correctly rounded value JSON.parse gives (Clinger's fast path, "How to
 * Read Floating Point Numbers Accurately", 1990). A larger m may have been rounded while it was read
 * (a digit-by-digit m of 88.124454721081327 / 10^15 is 88.1244547210813, JSON.parse's is
 * 88.12445472108132); the rounding only ever goes up to 2^53 or past, so the check is on what was read.
 * A bare `.5` or `1.` is not JSON: -1, and JSON.parse refuses it with its own message. An exponent, or
 * a digit after a leading zero (`01`), is left where it is: the object's walk then finds no `,` or `}`
 * after the number and leaves the payload to JSON.parse.
 */
function scanNumber(b: Buffer, i: number): number {
  const negative = byteAt(b, i) === MINUS;
  if (negative) i++;
  const first = byteAt(b, i);
  if (!isDigit(first)) return -1;
  let m = first - ZERO;
  let c = byteAt(b, ++i);
  if (first !== ZERO) {
    for (; isDigit(c); c = byteAt(b, ++i)) {
      m = m * 10 + (c - ZERO);
    }
  }
  let fraction = 0;
  if (c === DOT) {
    for (c = byteAt(b, ++i); isDigit(c); c = byteAt(b, ++i)) {
      m = m * 10 + (c - ZERO);
      fraction++;
    }
    if (fraction === 0) return -1;
  }
  if (m > Number.MAX_SAFE_INTEGER || fraction >= POWERS_OF_TEN.length) return -1;
  const value = fraction === 0 ? m : m / (POWERS_OF_TEN[fraction] as number);
  scanned = negative ? -value : value;
  return i;
}

/**
 * Whether the bytes at `i` are `word` followed by a closing quote: the whole of a JSON string's text,
 * since a word here has no character that would need an escape.
 */
function isWord(b: Buffer, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (byteAt(b, i + k) !== word.charCodeAt(k)) return false;
  return byteAt(b, i + word.length) === QUOTE;
}

/** A member of the object a reader expects: a number, or a string that is one of `words`. */
interface Member {
  readonly name: string;
  /** Null for a number. Every member has the field: one shape, so V8's property reads stay fast. */
  readonly words: readonly string[] | null;
}

/** What the last `scanObject` read, by the member's place in its list: a number, or the word's index. */
const values = new Float64Array(8);

/**
 * Walks a flat JSON object of `members` (each exactly once, in any order) into `values`. True when
 * the whole payload was that object, every member came once and each value was of its kind.
 */
function scanObject(b: Buffer, members: readonly Member[]): boolean {
  let i = skipSpace(b, 0);
  if (byteAt(b, i) !== OPEN_BRACE) return false;
  let seen = 0;
  for (;;) {
    i = skipSpace(b, i + 1);
    // A key that is not exactly one of the names (another key, an escape in it), or one twice
    // (JSON.parse keeps the last; the schema's message is the caller's).
    const m = memberAt(b, i, members);
    if (m < 0 || (seen & (1 << m)) !== 0) return false;
    seen |= 1 << m;
    i = skipSpace(b, i + 2 + (members[m] as Member).name.length);
    if (byteAt(b, i) !== COLON) return false;
    i = skipSpace(b, i + 1);
    const words = (members[m] as Member).words;
    if (words) {
      const w = wordAt(b, i, words);
      if (w < 0) return false;
      values[m] = w;
      i += 2 + (words[w] as string).length;
    } else {
      i = scanNumber(b, i);
      if (i < 0) return false;
      values[m] = scanned;
    }
    i = skipSpace(b, i);
    const c = byteAt(b, i);
    if (c === COMMA) continue;
    if (c !== CLOSE_BRACE) return false;
    return skipSpace(b, i + 1) === b.length && seen === (1 << members.length) - 1;
  }
}

/** The member whose name is the quoted key at `i`, or -1. */
function memberAt(b: Buffer, i: number, members: readonly Member[]): number {
  if (byteAt(b, i) !== QUOTE) return -1;
  for (let m = 0; m < members.length; m++) if (isWord(b, i + 1, (members[m] as Member).name)) return m;
  return -1;
}

/** A string value that is one of `words` (index), or -1. */
function wordAt(b: Buffer, i: number, words: readonly string[]): number {
  if (byteAt(b, i) !== QUOTE) return -1;
  for (let w = 0; w < words.length; w++) if (isWord(b, i + 1, words[w] as string)) return w;
  return -1;
}

const DOORS = ['open', 'closed'] as const;
const HEARTBEAT: readonly Member[] = [
  { name: 'ts', words: null },
  { name: 'seq', words: null },
  { name: 'door', words: DOORS },
  { name: 'battery', words: null },
  { name: 'rssi', words: null },
];

/** nativeHeartbeatSchema's data from the payload's bytes, or null: parse it and let the schema decide. */
export function heartbeatFromBytes(payload: Buffer): NativeHeartbeat | null {
  if (!scanObject(payload, HEARTBEAT)) return null;
  const ts = values[0] as number;
  const seq = values[1] as number;
  const battery = values[3] as number;
  const rssi = values[4] as number;
  if (!isEpochMs(ts) || !isUint32(seq) || !inRange(battery, 0, 100) || !inRange(rssi, -200, 50)) return null;
  return { ts, seq, door: DOORS[values[2] as number] as NativeHeartbeat['door'], battery, rssi };
}

const EVENT_TYPES = ['open', 'close', 'tamper'] as const;
const EVENT: readonly Member[] = [
  { name: 'type', words: EVENT_TYPES },
  { name: 'ts', words: null },
  { name: 'seq', words: null },
];

/** nativeEventSchema's data from the payload's bytes, or null: parse it and let the schema decide. */
export function eventFromBytes(payload: Buffer): NativeEvent | null {
  if (!scanObject(payload, EVENT)) return null;
  const ts = values[1] as number;
  const seq = values[2] as number;
  if (!isEpochMs(ts) || !isUint32(seq)) return null;
  return { type: EVENT_TYPES[values[0] as number] as NativeEvent['type'], ts, seq };
}
