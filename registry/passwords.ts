import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * People's passwords, kept as scrypt hashes in the PHC string format:
 * `$scrypt$ln=15,r=8,p=3$<salt>$<key>` (salt and key in unpadded base64), so the cost parameters
 * travel with each hash and can be raised later without breaking old ones.
 *
 * Why scrypt and not the device secrets' PBKDF2 (registry/secrets.ts): a device secret is 192
 * random bits, a password is what a person remembers. If the database leaks, only a slow,
 * memory-hard key derivation keeps an offline guesser from trying billions per second on a GPU.
 * Node 20 has scrypt built in (argon2 would be a native package). N = 2^15, r = 8, p = 3 is one of
 * OWASP's equivalent scrypt settings (Password Storage Cheat Sheet): 32 MiB per hash instead of
 * the 128 MiB of N = 2^17, p = 1, which matters on a two-core box; about 150 ms on an idle core.
 * It runs on libuv's thread pool, never on the event loop, and at most two at once (below).
 */
const COST = { ln: 15, r: 8, p: 3 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/**
 * How many hashes run at once. libuv has four pool threads, shared with file and DNS work; a
 * burst of sign-ins (or of guesses from many addresses) waits here instead of taking all four.
 */
const MAX_PARALLEL = 2;
let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, cost: typeof COST): Promise<Buffer> {
  const N = 2 ** cost.ln;
  return limited(
    () =>
      new Promise((resolve, reject) => {
        // maxmem: the 128·N·r bytes scrypt needs, with room; Node's default (32 MiB) is just short.
        const options = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r };
        scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
          err ? reject(err) : resolve(key),
        );
      }),
  );
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return `$scrypt$ln=${COST.ln},r=${COST.r},p=${COST.p}$${b64(salt)}$${b64(key)}`;
}

/** The parts of a stored hash; null when it is not one this code reads (then nothing verifies). */
export function parsePasswordHash(stored: string): { cost: typeof COST; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
    stored,
  );
  if (!m) return null;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds: a hash with absurd parameters (hand-edited, corrupted) must not pin the CPU or memory.
  if (cost.ln < 10 || cost.ln > 20 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return null;
  const salt = Buffer.from(m[4] as string, 'base64');
  const key = Buffer.from(m[5] as string, 'base64');
  if (salt.length < 8 || key.length !== KEY_BYTES) return null;
  return { cost, salt, key };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.cost);
  return timingSafeEqual(actual, parsed.key);
}

/**
 * A hash nobody's password has: a random salt and key in today's format. It costs nothing to make
 * (no derivation) and as much to check as a real one.
 */
const NOBODY = `$scrypt$ln=${COST.ln},r=${COST.r},p=${COST.p}$${b64(randomBytes(SALT_BYTES))}$${b64(randomBytes(KEY_BYTES))}`;

/**
 * Checks a password against the hash of nobody, for a user name nobody has: a sign-in for an
 * unknown user then costs as long as one for a known user with a wrong password, so the answer's
 * timing does not tell which user names exist.
 */
export async function verifyAgainstNobody(password: string): Promise<false> {
  await verifyPassword(password, NOBODY);
  return false;
}
