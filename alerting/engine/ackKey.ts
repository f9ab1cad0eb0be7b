import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The HMAC key that signs acknowledge links: generated once in DATA_DIR (mode 0600) and reused, so
 * links sent before a restart still work after it. Deleting the file invalidates every link out.
 */
export function loadOrCreateAckKey(dataDir: string): Buffer {
  const file = join(dataDir, 'ack-link.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (key.length >= 32) return key;
    throw new Error(`${file} holds a key shorter than 32 bytes; delete it to have a new one made`);
  }
  const key = randomBytes(32);
  // 'wx': two processes starting at once cannot overwrite each other's key.
  writeFileSync(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}
