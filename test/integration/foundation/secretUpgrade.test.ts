import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { legacyScryptHash } from '../../helpers/legacySecretHash.ts';
import { connectRefusal, connectSensor } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { provisionArmedSensor, type RunningService, startService } from '../../helpers/service.ts';

/**
 * Device secrets used to be stored as scrypt hashes; now they are Mosquitto's `$7$` PBKDF2 format
 * (registry/secrets.ts). A device provisioned by the older release gets its new hash at its next
 * successful login, through the embedded broker and through the external broker's
 * POST /api/broker/authenticate alike, on SQLite and on PostgreSQL. The old hashes are written
 * into the store the way the older release left them, while the service is stopped.
 */

interface Backend {
  name: string;
  env(): Promise<Record<string, string>>;
  /** Reads (or, with `set`, writes) a device's stored hash straight from the database. */
  hash(svc: RunningService, table: 'sensors' | 'gateways', id: string, set?: string): Promise<string>;
  close(): Promise<void>;
}

let postgres: PostgresServer | null = null;
const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    env: async () => ({}),
    async hash(svc, table, id, set) {
      const db = new Database(join(svc.dataDir, 'sealwatch.db'));
      try {
        if (set !== undefined) db.prepare(`UPDATE ${table} SET secret_hash = ? WHERE id = ?`).run(set, id);
        return (
          db.prepare(`SELECT secret_hash FROM ${table} WHERE id = ?`).get(id) as { secret_hash: string }
        ).secret_hash;
      } finally {
        db.close();
      }
    },
    close: async () => {},
  },
  {
    name: 'PostgreSQL',
    async env() {
      postgres = await startPostgres();
      return { DATABASE_URL: postgres.url };
    },
    async hash(_svc, table, id, set) {
      const client = new pg.Client({ connectionString: postgres?.url });
      await client.connect();
      try {
        if (set !== undefined)
          await client.query(`UPDATE ${table} SET secret_hash = $1 WHERE id = $2`, [set, id]);
        const { rows } = await client.query(`SELECT secret_hash FROM ${table} WHERE id = $1`, [id]);
        return rows[0].secret_hash as string;
      } finally {
        await client.end();
      }
    },
    close: async () => postgres?.close(),
  },
];

describe.each(BACKENDS)('device secret hashes upgraded at login: $name', (backend) => {
  let svc: RunningService & { cleanup(): Promise<void> };
  const secrets = new Map<string, string>();
  const old = new Map<string, string>();
  const clients: MqttClient[] = [];

  const login = async (id: string, secret = secrets.get(id) as string) => {
    const c = await connectSensor(svc.mqttUrl, id, secret);
    clients.push(c);
    return c;
  };
  const hook = async (id: string, secret = secrets.get(id) as string) =>
    (await svc.api('POST', '/api/broker/authenticate', { clientid: id, username: id, password: secret })).body
      .result;
  const passwd = async () =>
    new Map(
      (
        (await svc.api('GET', '/api/broker/passwd')).body.items as Array<{
          id: string;
          mosquittoHash: string;
        }>
      ).map((d) => [d.id, d.mosquittoHash]),
    );

  beforeAll(async () => {
    svc = (await startService({ env: await backend.env() })) as typeof svc;
    for (const id of ['door-a', 'door-b', 'door-c']) {
      secrets.set(id, (await provisionArmedSensor(svc, { sensor: id, grid: 'town' })).secret);
    }
    const gw = await svc.api('POST', '/api/gateways', { id: 'gw-1', name: 'gw', sensorIds: ['door-c'] });
    expect(gw.status).toBe(201);
    secrets.set('gw-1', gw.body.secret);
    // Written by today's release in the new format …
    expect(await backend.hash(svc, 'sensors', 'door-a')).toMatch(/^\$7\$101\$/);
    // … and turned into what the older release left behind.
    await svc.stop();
    for (const [id, secret] of secrets) {
      const hash = await legacyScryptHash(secret);
      old.set(id, hash);
      await backend.hash(svc, id.startsWith('gw') ? 'gateways' : 'sensors', id, hash);
    }
    await svc.restart();
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await svc?.cleanup();
    await backend.close();
  });

  it('the broker-config list has no Mosquitto hash for devices still on scrypt', async () => {
    expect(Object.fromEntries(await passwd())).toEqual({
      'door-a': null,
      'door-b': null,
      'door-c': null,
      'gw-1': null,
    });
  });

  it('a wrong secret, over MQTT or the external-broker hook, changes no hash', async () => {
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'door-a', username: 'door-a', password: 'wrong' }),
    ).toBe('code 4');
    expect(await hook('door-b', 'wrong')).toBe('deny');
    // A right secret under another client id is refused too, and is no login either.
    expect(
      await connectRefusal(svc.mqttUrl, {
        clientId: 'someone',
        username: 'door-a',
        password: secrets.get('door-a') as string,
      }),
    ).toBe('code 2');
    // Longer than the upgrade writer's gathering window (50 ms).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await backend.hash(svc, 'sensors', 'door-a')).toBe(old.get('door-a'));
    expect(await backend.hash(svc, 'sensors', 'door-b')).toBe(old.get('door-b'));
  });

  it('a sensor logging in over MQTT on its scrypt hash gets a $7$ hash stored', async () => {
    await login('door-a');
    await eventually(async () => (await backend.hash(svc, 'sensors', 'door-a')).startsWith('$7$101$'), 5_000);
    expect((await passwd()).get('door-a')).toBe(await backend.hash(svc, 'sensors', 'door-a'));
    // The others are untouched.
    expect(await backend.hash(svc, 'sensors', 'door-c')).toBe(old.get('door-c'));
  });

  it('a gateway logging in over MQTT is upgraded the same way', async () => {
    await login('gw-1');
    await eventually(async () => (await backend.hash(svc, 'gateways', 'gw-1')).startsWith('$7$101$'), 5_000);
  });

  it('a sensor accepted through POST /api/broker/authenticate (EMQX) is upgraded too', async () => {
    expect(await hook('door-b')).toBe('allow');
    await eventually(async () => (await backend.hash(svc, 'sensors', 'door-b')).startsWith('$7$101$'), 5_000);
  });

  it('after a restart, the upgraded devices log in on their new hash, which stays as it is', async () => {
    const before = {
      a: await backend.hash(svc, 'sensors', 'door-a'),
      b: await backend.hash(svc, 'sensors', 'door-b'),
      gw: await backend.hash(svc, 'gateways', 'gw-1'),
    };
    for (const c of clients.splice(0)) await c.endAsync();
    await svc.restart();
    await login('door-a');
    await login('gw-1');
    expect(await hook('door-b')).toBe('allow');
    // A device not yet upgraded still logs in on scrypt, and is upgraded now.
    await login('door-c');
    await eventually(async () => (await backend.hash(svc, 'sensors', 'door-c')).startsWith('$7$101$'), 5_000);
    expect(await backend.hash(svc, 'sensors', 'door-a')).toBe(before.a);
    expect(await backend.hash(svc, 'sensors', 'door-b')).toBe(before.b);
    expect(await backend.hash(svc, 'gateways', 'gw-1')).toBe(before.gw);
    // The wrong secret is still refused on the new hash.
    for (const c of clients.splice(0)) await c.endAsync();
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'door-a', username: 'door-a', password: 'wrong' }),
    ).toBe('code 4');
  });
});
