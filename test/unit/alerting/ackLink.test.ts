import { describe, expect, it } from 'vitest';
import { ackUrl, signAckToken, verifyAckToken } from '../../../alerting/ackLink.ts';
import { T0 } from './fixtures.ts';

const KEY = 'k'.repeat(32);
const claims = { alertId: 'a1', recipientId: 'w-g3', expiresAt: T0 + 60_000, nonce: 'n1' };

function flipChar(s: string, i: number): string {
  const c = s[i] === 'A' ? 'B' : 'A';
  return s.slice(0, i) + c + s.slice(i + 1);
}

describe('ack tokens', () => {
  const token = signAckToken(claims, KEY);

  it('round-trips and exposes the nonce for single use', () => {
    expect(verifyAckToken(token, KEY, T0)).toEqual({ ok: true, claims });
    expect(ackUrl('https://sw.example.org/', token)).toBe(`https://sw.example.org/ack/${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('random nonces differ per token', () => {
    const a = signAckToken({ ...claims, nonce: undefined }, KEY);
    const b = signAckToken({ ...claims, nonce: undefined }, KEY);
    expect(a).not.toBe(b);
  });

  it.each([
    ['expired exactly at expiresAt', () => verifyAckToken(token, KEY, T0 + 60_000), 'expired'],
    [
      'payload altered (other alert)',
      () =>
        verifyAckToken(
          `${signAckToken({ ...claims, alertId: 'a2' }, KEY).split('.')[0]}.${token.split('.')[1]}`,
          KEY,
          T0,
        ),
      'tampered',
    ],
    ['signature altered', () => verifyAckToken(flipChar(token, token.length - 3), KEY, T0), 'tampered'],
    ['payload byte flipped', () => verifyAckToken(flipChar(token, 5), KEY, T0), 'tampered'],
    ['other key', () => verifyAckToken(token, 'x'.repeat(32), T0), 'tampered'],
    ['no dot', () => verifyAckToken('abc', KEY, T0), 'malformed'],
    ['three parts', () => verifyAckToken(`${token}.x`, KEY, T0), 'malformed'],
    ['bad characters', () => verifyAckToken('a+b.c/d', KEY, T0), 'malformed'],
    ['empty', () => verifyAckToken('', KEY, T0), 'malformed'],
    ['huge', () => verifyAckToken('a'.repeat(5000), KEY, T0), 'malformed'],
  ])('%s → %s', (_n, run, reason) => {
    expect(run()).toEqual({ ok: false, reason });
  });

  it('a correctly signed payload of the wrong shape is malformed', async () => {
    const { createHmac } = await import('node:crypto');
    const payload = Buffer.from(JSON.stringify({ a: 1 })).toString('base64url');
    const sig = createHmac('sha256', KEY).update(`ack1.${payload}`).digest('base64url');
    expect(verifyAckToken(`${payload}.${sig}`, KEY, T0)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('key rotation: an old key still verifies when listed', () => {
    expect(verifyAckToken(token, ['new'.repeat(11), KEY], T0).ok).toBe(true);
  });
});
