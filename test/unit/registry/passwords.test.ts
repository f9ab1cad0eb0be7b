import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  parsePasswordHash,
  verifyAgainstNobody,
  verifyPassword,
} from '../../../registry/passwords.ts';

describe('password hashes (scrypt, PHC format)', () => {
  it('writes scrypt with its parameters and a per-hash salt, and verifies only the right password', async () => {
    const one = await hashPassword('correct horse battery');
    const two = await hashPassword('correct horse battery');
    expect(one).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // Same password, different salt: the hashes differ, so equal passwords do not show in the table.
    expect(one).not.toBe(two);
    expect(await verifyPassword('correct horse battery', one)).toBe(true);
    expect(await verifyPassword('correct horse batterY', one)).toBe(false);
    expect(await verifyPassword('', one)).toBe(false);
  });

  it('reads the parameters from the hash, so older or stronger settings keep verifying', async () => {
    const parsed = parsePasswordHash(await hashPassword('x'.repeat(12)));
    expect(parsed?.cost).toEqual({ ln: 15, r: 8, p: 3 });
    expect(parsed?.salt.length).toBe(16);
    expect(parsed?.key.length).toBe(32);
  });

  it('verifies nothing against a malformed hash or absurd parameters (no CPU or memory bomb)', async () => {
    const good = await hashPassword('a password here');
    for (const bad of [
      '',
      'plain text',
      good.replace('ln=15', 'ln=30'),
      good.replace('p=3', 'p=99'),
      good.replace(/\$[^$]+$/, '$c2hvcnQ'),
      `$7$101$${'A'.repeat(16)}$${'B'.repeat(88)}`,
    ]) {
      expect(parsePasswordHash(bad), bad).toBeNull();
      expect(await verifyPassword('a password here', bad), bad).toBe(false);
    }
  });

  it('an unknown user costs a real check: verifyAgainstNobody is as slow as a wrong password', async () => {
    const stored = await hashPassword('the real password');
    const time = async (work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    const wrong = await time(() => verifyPassword('a guess at it', stored));
    const nobody = await time(() => verifyAgainstNobody('a guess at it'));
    expect(await verifyAgainstNobody('the real password')).toBe(false);
    // Both derive a key (tens of ms at least); a lookup alone would take microseconds.
    expect(nobody).toBeGreaterThan(wrong / 4);
    expect(nobody).toBeGreaterThan(10);
  });
});
