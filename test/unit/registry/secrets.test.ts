import { describe, expect, it } from 'vitest';
import {
  hashSecret,
  isMosquittoHash,
  needsRehash,
  newSecret,
  verifySecret,
} from '../../../registry/secrets.ts';
import { legacyScryptHash } from '../../helpers/legacySecretHash.ts';

/**
 * Device secrets are stored in Mosquitto's `$7$` format: PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte
 * hash, 101 iterations, standard base64 with padding (eclipse/mosquitto at fb9b115:
 * src/password_mosq.h, apps/mosquitto_passwd/mosquitto_passwd.c, src/security_default.c). The real
 * mosquitto and mosquitto_passwd check the same in test/integration/external-broker/passwordInterop.test.ts.
 */
describe('device secret hashes', () => {
  it('writes $7$101$<16 base64 chars: 12-byte salt>$<88 chars with padding: 64-byte hash>', async () => {
    const hash = await hashSecret(newSecret());
    expect(hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(isMosquittoHash(hash)).toBe(true);
    expect(needsRehash(hash)).toBe(false);
  });

  it('salts every hash: the same secret twice gives two hashes, both verify', async () => {
    const secret = newSecret();
    const [a, b] = [await hashSecret(secret), await hashSecret(secret)];
    expect(a).not.toBe(b);
    expect(await verifySecret(secret, a)).toBe(true);
    expect(await verifySecret(secret, b)).toBe(true);
    expect(await verifySecret(`${secret}x`, a)).toBe(false);
  });

  it('matches a PBKDF2-HMAC-SHA512 vector computed elsewhere (Python hashlib.pbkdf2_hmac)', async () => {
    // hashlib.pbkdf2_hmac('sha512', b'correct horse battery staple', bytes(range(12)), 101, 64)
    const known =
      '$7$101$AAECAwQFBgcICQoL$cJ75j/0MokIxIQCU/t1k7JBGVfwD3W1st+OyLYF0EzgRLNjRyexylNuHrNThmUCWBWt20yys3R1zS31q5smg/w==';
    expect(await verifySecret('correct horse battery staple', known)).toBe(true);
    expect(await verifySecret('correct horse battery stapl', known)).toBe(false);
  });

  it('verifies other iteration counts, and asks for a rehash of them', async () => {
    const hash = await hashSecret('s3cret', 7);
    expect(hash.startsWith('$7$7$')).toBe(true);
    expect(await verifySecret('s3cret', hash)).toBe(true);
    expect(needsRehash(hash)).toBe(true);
  });

  it('still verifies the scrypt hashes written before, and asks for a rehash of them', async () => {
    const secret = newSecret();
    const old = await legacyScryptHash(secret);
    expect(old.startsWith('scrypt$16384$8$1$')).toBe(true);
    expect(await verifySecret(secret, old)).toBe(true);
    expect(await verifySecret('wrong', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(isMosquittoHash(old)).toBe(false);
  });

  it('refuses what Mosquitto would refuse: salt not 12 bytes, hash not 64, no iterations, other types', async () => {
    const good = await hashSecret('pw');
    const [, , , salt, key] = good.split('$') as [string, string, string, string, string];
    const shortSalt = Buffer.from(salt, 'base64').subarray(0, 11).toString('base64');
    const shortKey = Buffer.from(key, 'base64').subarray(0, 63).toString('base64');
    for (const bad of [
      `$7$101$${shortSalt}$${key}`,
      `$7$101$${salt}$${shortKey}`,
      `$7$0$${salt}$${key}`,
      `$7$$${salt}$${key}`,
      `$6$${salt}$${key}`,
      `$7$101$${salt}$${key}$`,
      '',
      'plain-text',
    ]) {
      expect(isMosquittoHash(bad), bad).toBe(false);
      expect(await verifySecret('pw', bad), bad).toBe(false);
    }
  });
});
