/**
 * The scrypt hash an older release of this service wrote for device secrets (`scrypt$N$r$p$salt$key`, N=16384,
 * r=8, p=1, 32-byte key), written here independently of registry/secrets.ts so that tests and benchmarks can
 * provision devices as that release did and check that today's code still verifies and upgrades them.
 */
import { randomBytes, scrypt } from 'node:crypto';

export function legacyScryptHash(secret: string): Promise<string> {
  const [N, r, p] = [16384, 8, 1];
  const salt = randomBytes(16);
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err
        ? reject(err)
        : resolve(`scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`),
    );
  });
}
