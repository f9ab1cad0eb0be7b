import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, isMosquittoHash, newSecret, verifySecret } from '../../../registry/secrets.ts';
import { type RunningMosquitto, startMosquitto } from '../../helpers/mosquitto.ts';
import { connectRefusal } from '../../helpers/mqtt.ts';
import { freePort, requireBinary } from '../../helpers/serverProcess.ts';

/**
 * The registry's device secret hashes are Mosquitto's own `$7$` format (PBKDF2-HMAC-SHA512, 12-byte
 * salt, 64-byte hash; eclipse/mosquitto src/password_mosq.h, apps/mosquitto_passwd/mosquitto_passwd.c,
 * src/security_default.c). Checked both ways with Debian's real programs: a real `mosquitto` accepts
 * our hashes in its password_file, and our verifySecret accepts what `mosquitto_passwd -b` writes.
 */
describe("device secret hashes are Mosquitto's own", () => {
  let dir: string;
  let mosquitto: RunningMosquitto;
  let port: number;
  const devices = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealwatch-passwd-interop-'));
    port = await freePort();
    for (const id of ['door-1', 'door-2']) devices.set(id, newSecret());
    const lines = await Promise.all(
      [...devices].map(async ([id, secret]) => `${id}:${await hashSecret(secret)}`),
    );
    writeFileSync(join(dir, 'passwd'), `${lines.join('\n')}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'test.conf'),
      ['allow_anonymous false', `password_file ${dir}/passwd`, `listener ${port} 127.0.0.1`, ''].join('\n'),
    );
    mosquitto = await startMosquitto({ includeDir: dir, waitForPort: port });
  });

  afterAll(async () => {
    await mosquitto?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = () => `mqtt://127.0.0.1:${port}`;

  it('a real mosquitto accepts the secrets whose hashes we wrote, and refuses wrong ones', async () => {
    for (const [id, secret] of devices) {
      expect(await connectRefusal(url(), { clientId: id, username: id, password: secret })).toBe('connected');
    }
    // MQTT 3.1.1 CONNACK 5: not authorized. door-2's secret is not door-1's.
    expect(
      await connectRefusal(url(), {
        clientId: 'door-1',
        username: 'door-1',
        password: devices.get('door-2'),
      }),
    ).toBe('code 5');
    expect(await connectRefusal(url(), { clientId: 'door-1', username: 'door-1', password: 'wrong' })).toBe(
      'code 5',
    );
    // Mosquitto dropped no line as malformed ("Unable to decode", "Invalid password hash").
    expect(mosquitto.output()).not.toMatch(/Invalid|Unable to decode|removing entry/);
  });

  it('a line written by the real mosquitto_passwd -b verifies with our verifySecret', async () => {
    const file = join(dir, 'from-mosquitto_passwd');
    const secret = newSecret();
    const run = spawnSync(
      requireBinary('mosquitto_passwd', 'mosquitto'),
      ['-c', '-b', file, 'door-9', secret],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const line = readFileSync(file, 'utf8').trim();
    const hash = line.slice('door-9:'.length);
    // The same shape as ours: $7$, 101 iterations, 12-byte salt, 64-byte hash, padded base64.
    expect(hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(isMosquittoHash(hash)).toBe(true);
    expect(await verifySecret(secret, hash)).toBe(true);
    expect(await verifySecret(`${secret}.`, hash)).toBe(false);
  });
});
