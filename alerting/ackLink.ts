import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring one-tap acknowledge links: `${PUBLIC_URL}/ack/<token>`.
 * token = base64url(JSON claims) "." base64url(HMAC-SHA256(key, "ack1." + payload)).
 * The claims carry a random nonce (`n`); refusing a token whose nonce was already used (replay) is
 * the engine's job with the store. Several keys may be given to verify (rotation): the first signs.
 */

export interface AckClaims {
  alertId: string;
  recipientId: string;
  expiresAt: number;
  /** Random id of this token, for single use. */
  nonce: string;
}

export type AckVerification =
  | { ok: true; claims: AckClaims }
  | { ok: false; reason: 'malformed' | 'tampered' | 'expired' };

type Key = string | Buffer;

const DOMAIN = 'ack1.';
const MAX_TOKEN_LENGTH = 2048;

function mac(key: Key, payload: string): Buffer {
  return createHmac('sha256', key).update(DOMAIN).update(payload).digest();
}

export function signAckToken(
  claims: { alertId: string; recipientId: string; expiresAt: number; nonce?: string },
  key: Key,
): string {
  const nonce = claims.nonce ?? randomBytes(12).toString('base64url');
  const body = { a: claims.alertId, r: claims.recipientId, e: claims.expiresAt, n: nonce };
  const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

export function verifyAckToken(token: string, keys: Key | readonly Key[], now: number): AckVerification {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: 'malformed' };
  }
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) {
    return { ok: false, reason: 'malformed' };
  }
  const [payload, sig] = parts as [string, string];
  const given = Buffer.from(sig, 'base64url');
  const keyList = Array.isArray(keys) ? (keys as readonly Key[]) : [keys as Key];
  // Signature first: nothing in an unauthenticated payload is trusted, not even to say "malformed".
  const valid = keyList.some((k) => {
    const expected = mac(k, payload);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return { ok: false, reason: 'tampered' };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isClaimsBody(body)) return { ok: false, reason: 'malformed' };
  if (now >= body.e) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { alertId: body.a, recipientId: body.r, expiresAt: body.e, nonce: body.n } };
}

function isClaimsBody(b: unknown): b is { a: string; r: string; e: number; n: string } {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return (
    typeof o.a === 'string' &&
    typeof o.r === 'string' &&
    typeof o.n === 'string' &&
    typeof o.e === 'number' &&
    Number.isFinite(o.e)
  );
}

export function ackUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/ack/${token}`;
}

/**
 * How long a link stays valid: until the alert could plausibly still be acknowledged by this person.
 * 24 h by default; the engine passes its own span if policy says otherwise.
 */
export const DEFAULT_ACK_TTL_MS = 24 * 60 * 60_000;
