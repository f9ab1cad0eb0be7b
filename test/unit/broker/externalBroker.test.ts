import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Authenticator, type CredentialSource } from '../../../broker/authenticator.ts';
import { parseCredentialsCsv } from '../../../broker/external/brokerConfigCli.ts';
import { canPublishExternally, createBrokerHooks } from '../../../broker/external/brokerHooks.ts';
import { redactUrl } from '../../../broker/external/consumer.ts';
import {
  type MosquittoInputs,
  mosquittoFiles,
  mosquittoHash,
  parsePasswordFile,
} from '../../../broker/external/mosquittoConfig.ts';
import type { Identity } from '../../../broker/identity.ts';
import { LoginThrottle } from '../../../broker/loginThrottle.ts';
import { INGEST_TOPIC_FILTERS } from '../../../contract/topics.ts';
import { ManualClock } from '../../../core/clock.ts';
import { sensorIdForTopic } from '../../../ingest/decoders/index.ts';

const FRIENDLY = new Map([
  ['hall_door', 'zb-1'],
  ['door/east', 'zb-2'],
  ['stranger', 'zb-9'],
]);
const topicSensor = (topic: string) => sensorIdForTopic(topic, (name) => FRIENDLY.get(name));
const sensor = (id: string): Identity => ({ kind: 'sensor', id });
const gateway: Identity = { kind: 'gateway', id: 'gw-1', sensorIds: new Set(['zb-1', 'zb-2', 's-7']) };

describe('external broker: what a device may publish', () => {
  it('a sensor only its own native topics, never config', () => {
    expect(canPublishExternally(sensor('s-1'), 'seal/s-1/event', topicSensor)).toBe(true);
    expect(canPublishExternally(sensor('s-1'), 'seal/s-1/heartbeat', topicSensor)).toBe(true);
    expect(canPublishExternally(sensor('s-1'), 'seal/s-2/event', topicSensor)).toBe(false);
    expect(canPublishExternally(sensor('s-1'), 'seal/s-1/config', topicSensor)).toBe(false);
    expect(canPublishExternally(sensor('s-1'), 'zigbee2mqtt/hall_door', topicSensor)).toBe(false);
  });

  it('a gateway only dialect topics naming one of its sensors (ingest cannot check the publisher)', () => {
    expect(canPublishExternally(gateway, 'zigbee2mqtt/hall_door', topicSensor)).toBe(true);
    expect(canPublishExternally(gateway, 'zigbee2mqtt/door/east/availability', topicSensor)).toBe(true);
    expect(canPublishExternally(gateway, 'seal/s-7/event', topicSensor)).toBe(true);
    expect(canPublishExternally(gateway, 'zigbee2mqtt/stranger', topicSensor)).toBe(false);
    expect(canPublishExternally(gateway, 'zigbee2mqtt/bridge/state', topicSensor)).toBe(false);
    expect(canPublishExternally(gateway, 'seal/s-8/event', topicSensor)).toBe(false);
  });
});

describe('external broker: HTTP hooks (EMQX)', () => {
  const credentials: CredentialSource = {
    sensorSecretHash: (id) => (id === 's-1' ? 'hash:s1-secret' : undefined),
    gateway: (id) => (id === 'gw-1' ? { sensorIds: ['zb-1'] } : undefined),
    gatewaySecretHash: (id) => (id === 'gw-1' ? 'hash:gw-secret' : undefined),
    findServiceToken: async () => null,
    verifySecret: async (secret, hash) => hash === `hash:${secret}`,
    loggedIn: () => {},
  };
  const hooks = createBrokerHooks({
    authenticator: new Authenticator(credentials, new LoginThrottle(new ManualClock(1_700_000_000_000))),
    deviceIdentity: (u) => (u === 's-1' ? sensor('s-1') : u === 'gw-1' ? gateway : undefined),
    sensorIdForTopic: topicSensor,
    consumer: { username: 'sealwatch', password: 'consumer-pw' },
    shareGroup: 'sw',
    topicFilters: INGEST_TOPIC_FILTERS,
  });

  it('authenticates devices against the registry and the service login against its password', async () => {
    const ok = { clientid: 's-1', username: 's-1', password: 's1-secret', peerhost: '10.0.0.9' };
    expect(await hooks.authenticate(ok)).toEqual({ result: 'allow', is_superuser: false });
    expect((await hooks.authenticate({ ...ok, password: 'guess' })).result).toBe('deny');
    expect((await hooks.authenticate({ ...ok, clientid: 'other' })).result).toBe('deny');
    expect((await hooks.authenticate({ clientid: 'x', username: 'nobody', password: 'p' })).result).toBe(
      'deny',
    );
    const consumer = { clientid: 'sealwatch-abc', username: 'sealwatch', password: 'consumer-pw' };
    expect((await hooks.authenticate(consumer)).result).toBe('allow');
    expect((await hooks.authenticate({ ...consumer, password: 'consumer-p' })).result).toBe('deny');
    // API-token logins are the broker's own business over EMQX.
    expect((await hooks.authenticate({ clientid: 'c', username: 'token', password: 'sw_x' })).result).toBe(
      'ignore',
    );
  });

  it('authorizes devices to their own topics and the service to its shared subscriptions only', () => {
    const ask = (username: string, topic: string, action: 'publish' | 'subscribe', clientid = username) =>
      hooks.authorize({ clientid, username, topic, action }).result;
    expect(ask('s-1', 'seal/s-1/event', 'publish')).toBe('allow');
    expect(ask('s-1', 'seal/s-2/event', 'publish')).toBe('deny');
    expect(ask('s-1', 'seal/s-1/config', 'subscribe')).toBe('allow');
    expect(ask('s-1', 'seal/#', 'subscribe')).toBe('deny');
    expect(ask('s-1', 'seal/s-1/event', 'publish', 'someone-else')).toBe('deny');
    expect(ask('gw-1', 'zigbee2mqtt/hall_door', 'publish')).toBe('allow');
    expect(ask('gw-1', 'zigbee2mqtt/stranger', 'publish')).toBe('deny');
    expect(ask('sealwatch', '$share/sw/seal/+/event', 'subscribe', 'sealwatch-abc')).toBe('allow');
    expect(ask('sealwatch', '$share/sw/zigbee2mqtt/#', 'subscribe', 'sealwatch-abc')).toBe('allow');
    // EMQX asks about a shared subscription by its real topic.
    expect(ask('sealwatch', 'seal/+/heartbeat', 'subscribe', 'sealwatch-abc')).toBe('allow');
    expect(ask('sealwatch', 'seal/#', 'subscribe', 'sealwatch-abc')).toBe('deny');
    expect(ask('sealwatch', '$share/other/seal/+/event', 'subscribe', 'sealwatch-abc')).toBe('deny');
    expect(ask('sealwatch', 'seal/s-1/config', 'publish', 'sealwatch-abc')).toBe('deny');
    expect(ask('dashboard', 'seal/#', 'subscribe')).toBe('ignore');
  });
});

describe('external broker: Mosquitto files', () => {
  const input = (over: Partial<MosquittoInputs> = {}): MosquittoInputs => ({
    sensors: [
      { id: 's-1', friendlyName: null },
      { id: 'zb-1', friendlyName: 'hall door' },
      { id: 'zb-2', friendlyName: 'bad+name' },
    ],
    gateways: [{ id: 'gw-1', sensorIds: ['zb-1', 'zb-2'] }],
    service: { username: 'sealwatch', password: 'svc-pw' },
    shareGroup: 'sw',
    topicFilters: INGEST_TOPIC_FILTERS,
    registryHashes: new Map(),
    secrets: new Map([
      ['s-1', 's1-secret'],
      ['gw-1', 'gw-secret'],
      ['removed-9', 'old'],
    ]),
    existingHashes: new Map(),
    keepUsers: [],
    deviceListener: { host: null, port: 1883 },
    serviceListener: { host: '10.0.0.5', port: 1884 },
    installDir: '/etc/mosquitto/sealwatch/',
    generatedAt: '2026-11-23T00:00:00.000Z',
    ...over,
  });

  it('the ACL pins sensors by pattern, gateways to their sensors, the service to reading', () => {
    const { acl, unusableNames } = mosquittoFiles(input());
    const lines = acl.split('\n');
    expect(lines).toContain('pattern write seal/%u/event');
    expect(lines).toContain('pattern read seal/%u/config');
    expect(lines).not.toContain('pattern write seal/%u/config');
    const service = lines.slice(lines.indexOf('user sealwatch'), lines.indexOf('user gw-1'));
    expect(service).toContain('topic read $share/sw/seal/+/event');
    expect(service).toContain('topic read seal/+/event');
    expect(service).toContain('topic read zigbee2mqtt/#');
    expect(service.some((l) => l.startsWith('topic write') || l.startsWith('topic readwrite'))).toBe(false);
    const gw = lines.slice(lines.indexOf('user gw-1'));
    expect(gw).toContain('topic write zigbee2mqtt/hall door');
    expect(gw).toContain('topic write zigbee2mqtt/hall door/availability');
    expect(gw).toContain('topic write shellies/hall door/#');
    expect(gw).toContain('topic write seal/zb-2/event');
    expect(gw.join('\n')).not.toContain('bad+name');
    expect(unusableNames).toEqual(['bad+name']);
  });

  it('the password file has Mosquitto hashes of the given secrets; missing and unknown ones are reported', () => {
    const files = mosquittoFiles(input());
    const hashes = parsePasswordFile(files.passwd);
    expect([...hashes.keys()]).toEqual(['sealwatch', 's-1', 'gw-1']);
    expect(files.passwd).not.toContain('s1-secret');
    expect(files.withoutSecret).toEqual(['zb-1', 'zb-2']);
    expect(files.unknownSecrets).toEqual(['removed-9']);
    const [, , iterations, salt, hash] = (hashes.get('s-1') as string).split('$');
    const expected = pbkdf2Sync(
      's1-secret',
      Buffer.from(salt as string, 'base64'),
      Number(iterations),
      64,
      'sha512',
    );
    expect(hash).toBe(expected.toString('base64'));
  });

  it('keeps existing hashes of devices without a new secret, drops removed devices, keeps named accounts', () => {
    const existing = new Map([
      ['zb-1', '$7$101$old$zb1'],
      ['removed-9', '$7$101$old$gone'],
      ['ops', '$7$101$old$ops'],
      ['sealwatch', '$7$101$old$svc'],
    ]);
    const files = mosquittoFiles(
      input({
        existingHashes: existing,
        keepUsers: ['ops'],
        service: { username: 'sealwatch', password: null },
      }),
    );
    const hashes = parsePasswordFile(files.passwd);
    expect(hashes.get('zb-1')).toBe('$7$101$old$zb1');
    expect(hashes.get('sealwatch')).toBe('$7$101$old$svc');
    expect(hashes.get('ops')).toBe('$7$101$old$ops');
    expect(hashes.has('removed-9')).toBe(false);
    expect(files.withoutSecret).toEqual(['zb-2']);
  });

  it("takes the registry's $7$ hashes as they are, before any given secret or old line", () => {
    const files = mosquittoFiles(
      input({
        registryHashes: new Map([
          ['s-1', '$7$101$registry$s1'],
          ['zb-1', '$7$101$registry$zb1'],
        ]),
        existingHashes: new Map([
          ['s-1', '$7$101$old$s1'],
          ['zb-1', '$7$101$old$zb1'],
          ['zb-2', '$7$101$old$zb2'],
        ]),
      }),
    );
    const hashes = parsePasswordFile(files.passwd);
    // A secret in the CSV or a line in the old file may be out of date: the registry's hash is the device's.
    expect(hashes.get('s-1')).toBe('$7$101$registry$s1');
    expect(hashes.get('zb-1')).toBe('$7$101$registry$zb1');
    // Still on scrypt, handled as before: the given secret (gw-1), else the old line (zb-2).
    expect(files.stillScrypt).toEqual(['zb-2', 'gw-1']);
    expect(hashes.get('zb-2')).toBe('$7$101$old$zb2');
    expect(hashes.has('gw-1')).toBe(true);
    expect(files.withoutSecret).toEqual([]);
  });

  it('needs no issued secret at all once every device has a $7$ hash in the registry', () => {
    const files = mosquittoFiles(
      input({
        secrets: new Map(),
        registryHashes: new Map(['s-1', 'zb-1', 'zb-2', 'gw-1'].map((id) => [id, `$7$101$r$${id}`])),
      }),
    );
    expect([...parsePasswordFile(files.passwd).keys()]).toEqual(['sealwatch', 's-1', 'zb-1', 'zb-2', 'gw-1']);
    expect(files.stillScrypt).toEqual([]);
    expect(files.withoutSecret).toEqual([]);
  });

  it('the conf.d fragment names the files, a large queue and both listeners', () => {
    const { conf } = mosquittoFiles(input());
    expect(conf).toContain('password_file /etc/mosquitto/sealwatch/passwd\n');
    expect(conf).toContain('acl_file /etc/mosquitto/sealwatch/acl\n');
    expect(conf).toContain('allow_anonymous false\n');
    expect(conf).toContain('listener 1883\nuse_username_as_clientid true\n');
    expect(conf).toContain('listener 1884 10.0.0.5\n');
  });

  it('refuses a service username that is also a device id', () => {
    expect(() => mosquittoFiles(input({ service: { username: 's-1', password: 'x' } }))).toThrow(
      /also a device/,
    );
  });

  it('mosquittoHash is the $7$ PBKDF2-SHA512 format mosquitto_passwd writes', () => {
    expect(mosquittoHash('pw')).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  });
});

describe('external broker: command-line inputs', () => {
  it('reads the issued-credentials CSV in its usual spellings', () => {
    expect([...parseCredentialsCsv('sensorId,secret,householdId\ns-1,abc,h1\n"gw-1","d""e"\n', 'f')]).toEqual(
      [
        ['s-1', 'abc'],
        ['gw-1', 'd"e'],
      ],
    );
    expect([...parseCredentialsCsv('\uFEFFusername,password\r\nu,p\r\n', 'f')]).toEqual([['u', 'p']]);
    expect(() => parseCredentialsCsv('name,secret\nx,y\n', 'f')).toThrow(/id column/);
    expect(() => parseCredentialsCsv('id,secret\nx,y\nx,z\n', 'f')).toThrow(/twice/);
    expect(() => parseCredentialsCsv('id,secret\nx,\n', 'f')).toThrow(/empty/);
  });

  it('logs broker URLs without credentials', () => {
    expect(redactUrl('mqtts://svc:hunter2@broker.example:8883')).toBe('mqtts://broker.example:8883');
  });
});
