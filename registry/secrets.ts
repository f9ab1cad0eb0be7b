import { createHash, pbkdf2, pbkdf2Sync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Device and gateway secrets are kept only as a salted hash in Mosquitto's own
 * format, `$7$<iterations>$<base64 salt>$<base64 hash>`: PBKDF2-HMAC-SHA512,
 * 12-byte salt, 64-byte hash, standard base64 with padding. That is what
 * Mosquitto's `mosquitto_passwd` writes and its broker reads (eclipse/mosquitto
 * at fb9b115: src/password_mosq.h has SALT_LEN 12 and PW_DEFAULT_ITERATIONS
 * 101; apps/mosquitto_passwd/mosquitto_passwd.c prints `$7$%d$%s$%s`;
 * src/security_default.c refuses a line whose salt is not 12 bytes or whose
 * hash is not 64). So `npm run broker-config -- mosquitto` can copy the
 * registry's hashes into Mosquitto's password file as they are.
 *
 * Why a fast hash: a secret is 192 random bits (newSecret), which no iteration
 * count could make more or less guessable. A slow hash only cost us: every first
 * CONNECT after a start ran scrypt (about 23 logins a second on two cores), a
 * cheap way for anyone to burn our CPU. 101 iterations, mosquitto_passwd's
 * default, cost about 50 µs; Mosquitto pays the same on every CONNECT, as it
 * caches nothing.
 *
 * Hashes from before (`scrypt$N$r$p$salt$key`) still verify; needsRehash says
 * which to replace after the next successful login (Registry.upgradeSecretHash).
 *
 * API tokens are 256-bit random values, so a plain SHA-256 keeps them out of
 * the database in clear.
 */
export const PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export const newSecret = (): string => randomBytes(24).toString('base64url');
export const newToken = (): string => `sw_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Up to this many iterations (about 0.5 ms) a hash is checked on the event loop. Handing 50 µs of
 * work to the thread pool cost the event loop more than doing it: in a reconnect storm on two busy
 * cores each hand-over stalled it about 280 µs (18 % of its time in the connect-storm profile),
 * as the woken pool thread took the core. Larger counts (imported hashes) go to the pool.
 */
const SYNC_ITERATIONS = 1_000;

/** Asynchronous (libuv thread pool), for hashes too slow to compute on the event loop. */
function pbkdf2Sha512(secret: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(secret, salt, iterations, HASH_BYTES, 'sha512', (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const formatHash = (iterations: number, salt: Buffer, hash: Buffer): string =>
  `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;

/** A `$7$` hash on the calling thread: for the default count it costs less than the thread-pool hand-over. */
export function hashSecretSync(secret: string, iterations = PBKDF2_ITERATIONS): string {
  const salt = randomBytes(SALT_BYTES);
  return formatHash(iterations, salt, pbkdf2Sync(secret, salt, iterations, HASH_BYTES, 'sha512'));
}

export async function hashSecret(secret: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  if (iterations <= SYNC_ITERATIONS) return hashSecretSync(secret, iterations);
  const salt = randomBytes(SALT_BYTES);
  return formatHash(iterations, salt, await pbkdf2Sha512(secret, salt, iterations));
}

/** A stored hash this code writes today; anything else is replaced at the next successful login. */
export const needsRehash = (stored: string): boolean => !stored.startsWith(`$7$${PBKDF2_ITERATIONS}$`);

/** True when the stored hash is Mosquitto's `$7$` format (a password file can take it as it is). */
export const isMosquittoHash = (stored: string): boolean => parseMosquittoHash(stored) !== null;

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const pb = parseMosquittoHash(stored);
  if (pb && pb.iterations <= SYNC_ITERATIONS) {
    return sameBytes(pbkdf2Sync(secret, pb.salt, pb.iterations, HASH_BYTES, 'sha512'), pb.hash);
  }
  if (pb) return sameBytes(await pbkdf2Sha512(secret, pb.salt, pb.iterations), pb.hash);
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, rr, pp, salt, key] = parts as [string, string, string, string, string, string];
  const actual = await scryptKey(secret, Buffer.from(salt, 'base64'), Number(n), Number(rr), Number(pp));
  return sameBytes(actual, Buffer.from(key, 'base64'));
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/** The parts of a `$7$` hash, checked as strictly as Mosquitto's broker checks them. */
function parseMosquittoHash(stored: string): { iterations: number; salt: Buffer; hash: Buffer } | null {
  const m = /^\$7\$([1-9][0-9]{0,8})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(stored);
  if (!m) return null;
  const salt = Buffer.from(m[2] as string, 'base64');
  const hash = Buffer.from(m[3] as string, 'base64');
  if (salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) return null;
  return { iterations: Number(m[1]), salt, hash };
}

// ---- the format before: scrypt. Verified until every device has logged in once since.

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scryptKey(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, SCRYPT.keylen, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
