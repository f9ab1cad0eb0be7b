import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VALID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The client id of this instance's persistent session at the external broker.
 * It must survive restarts (the broker queues for that id while the instance
 * is down) and differ between instances (the same id would take the session
 * over). Generated once into DATA_DIR, which is already per instance.
 */
export function loadOrCreateClientId(dataDir: string): string {
  const file = join(dataDir, 'mqtt-client-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (VALID.test(id)) return id;
    throw new Error(`${file} does not hold a client id (1–64 of A–Z a–z 0–9 _ -); fix or delete it`);
  }
  const id = `sealwatch-${randomBytes(6).toString('hex')}`;
  writeFileSync(file, `${id}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return id;
}
