import { describe, expect, it } from 'vitest';
import { Authenticator, type CredentialSource } from '../../../broker/authenticator.ts';
import { LoginThrottle } from '../../../broker/loginThrottle.ts';
import { ManualClock } from '../../../core/clock.ts';

const T0 = 1_700_000_000_000;

/**
 * Test double for the registry's side of CredentialSource. Its "hash" is a
 * readable stand-in for scrypt; verifySecret counts calls and can be slowed
 * to a later macrotask the way the real scrypt runs on the thread pool.
 */
class CredentialSourceDouble implements CredentialSource {
  readonly sensors = new Map<string, string>([
    ['s-001', 'hash:good-secret'],
    ['s-002', 'hash:other-secret'],
  ]);
  readonly gateways = new Map([['gw-1', { hash: 'hash:gw-secret', sensorIds: ['s-101', 's-102'] }]]);
  readonly tokens = new Map([
    ['sw_admin', { id: 'tok-1', role: 'admin', gridId: null, name: 'command room', expiresAt: null }],
    ['sw_viewer', { id: 'tok-2', role: 'viewer', gridId: null, name: 'guest', expiresAt: 1_900_000_000_000 }],
  ]);
  verifyCalls = 0;
  slow = false;
  /** Devices told about a successful login (the registry upgrades old hashes from here). */
  readonly logins: Array<{ id: string; secret: string; hash: string }> = [];

  sensorSecretHash(id: string): string | undefined {
    return this.sensors.get(id);
  }
  gateway(id: string): { sensorIds: string[] } | undefined {
    return this.gateways.get(id);
  }
  gatewaySecretHash(id: string): string | undefined {
    return this.gateways.get(id)?.hash;
  }
  async findServiceToken(value: string) {
    return this.tokens.get(value) ?? null;
  }
  async verifySecret(secret: string, hash: string): Promise<boolean> {
    this.verifyCalls++;
    if (this.slow) await new Promise((resolve) => setImmediate(resolve));
    return hash === `hash:${secret}`;
  }
  loggedIn(id: string, secret: string, hash: string): void {
    this.logins.push({ id, secret, hash });
  }
}

function setup() {
  const clock = new ManualClock(T0);
  const credentials = new CredentialSourceDouble();
  const auth = new Authenticator(credentials, new LoginThrottle(clock));
  const login = (
    clientId: string,
    username: string | undefined,
    password: string | undefined,
    address = '10.0.0.7',
  ) =>
    auth.authenticate(
      clientId,
      username,
      password === undefined ? undefined : Buffer.from(password),
      address,
    );
  return { clock, credentials, auth, login };
}

describe('Authenticator: devices', () => {
  it('a sensor with its secret and client id = username is a sensor identity', async () => {
    const { login } = setup();
    expect(await login('s-001', 's-001', 'good-secret')).toEqual({
      ok: true,
      identity: { kind: 'sensor', id: 's-001' },
    });
  });

  it('a gateway gets its listed sensors', async () => {
    const { login } = setup();
    const outcome = await login('gw-1', 'gw-1', 'gw-secret');
    expect(outcome.ok && outcome.identity).toEqual({
      kind: 'gateway',
      id: 'gw-1',
      sensorIds: new Set(['s-101', 's-102']),
    });
  });

  it('refuses a device whose client id is not its username', async () => {
    const { login } = setup();
    expect(await login('something-else', 's-001', 'good-secret')).toEqual({
      ok: false,
      reason: 'client_id_mismatch',
    });
    expect(await login('s-002', 's-001', 'good-secret')).toEqual({ ok: false, reason: 'client_id_mismatch' });
    expect(await login('gw-x', 'gw-1', 'gw-secret')).toEqual({ ok: false, reason: 'client_id_mismatch' });
  });

  it('refuses anonymous clients and missing passwords', async () => {
    const { login } = setup();
    expect(await login('s-001', undefined, undefined)).toEqual({ ok: false, reason: 'anonymous' });
    expect(await login('s-001', 's-001', undefined)).toEqual({ ok: false, reason: 'anonymous' });
    expect(await login('s-001', '', 'good-secret')).toEqual({ ok: false, reason: 'anonymous' });
  });

  it('refuses a wrong password and an unknown username alike', async () => {
    const { login } = setup();
    expect(await login('s-001', 's-001', 'guess')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await login('nobody', 'nobody', 'good-secret')).toEqual({ ok: false, reason: 'bad_credentials' });
  });
});

describe('Authenticator: telling the source about logins (hash upgrades)', () => {
  it('a successful device login passes the secret and the hash it matched', async () => {
    const { login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    await login('gw-1', 'gw-1', 'gw-secret');
    expect(credentials.logins).toEqual([
      { id: 's-001', secret: 'good-secret', hash: 'hash:good-secret' },
      { id: 'gw-1', secret: 'gw-secret', hash: 'hash:gw-secret' },
    ]);
  });

  it('a wrong secret, a wrong client id or a service login tells it nothing', async () => {
    const { login, credentials } = setup();
    await login('s-001', 's-001', 'wrong');
    await login('other-id', 's-001', 'good-secret');
    await login('svc', 'token', 'sw_admin');
    expect(credentials.logins).toEqual([]);
  });
});

describe('Authenticator: fingerprint cache', () => {
  it('runs the slow verify once for repeated good logins', async () => {
    const { login, credentials } = setup();
    for (let i = 0; i < 5; i++) expect((await login('s-001', 's-001', 'good-secret')).ok).toBe(true);
    expect(credentials.verifyCalls).toBe(1);
  });

  it('a wrong password after a cached success still fails (and is checked)', async () => {
    const { login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    expect(await login('s-001', 's-001', 'good-secret-x')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(credentials.verifyCalls).toBe(2);
  });

  it('a cached success does not carry over to another sensor with the same password', async () => {
    const { login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    expect(await login('s-002', 's-002', 'good-secret')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(credentials.verifyCalls).toBe(2);
  });

  it('a new stored hash (secret rotated) invalidates the cached success', async () => {
    const { login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    credentials.sensors.set('s-001', 'hash:rotated');
    expect(await login('s-001', 's-001', 'good-secret')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await login('s-001', 's-001', 'rotated')).toEqual({
      ok: true,
      identity: { kind: 'sensor', id: 's-001' },
    });
  });
});

describe('Authenticator: forgetting a device', () => {
  it('after forget (device removed or secret replaced) the next login checks the hash again', async () => {
    const { auth, login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    await login('s-001', 's-001', 'good-secret');
    expect(credentials.verifyCalls).toBe(1);
    auth.forget('s-001');
    expect((await login('s-001', 's-001', 'good-secret')).ok).toBe(true);
    expect(credentials.verifyCalls).toBe(2);
  });

  it('a removed device stays refused although its login was remembered', async () => {
    const { auth, login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    credentials.sensors.delete('s-001');
    auth.forget('s-001');
    expect(await login('s-001', 's-001', 'good-secret')).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('forgetting one device leaves the others remembered', async () => {
    const { auth, login, credentials } = setup();
    await login('s-001', 's-001', 'good-secret');
    await login('s-002', 's-002', 'other-secret');
    auth.forget('s-001');
    await login('s-002', 's-002', 'other-secret');
    expect(credentials.verifyCalls).toBe(2);
  });
});

describe('Authenticator: throttling', () => {
  it('after 5 bad passwords the username is throttled, even with the right password, without running verify', async () => {
    const { login, credentials } = setup();
    for (let i = 0; i < 5; i++)
      expect((await login('s-001', 's-001', `guess-${i}`, `198.51.100.${i}`)).ok).toBe(false);
    const calls = credentials.verifyCalls;
    expect(await login('s-001', 's-001', 'good-secret', '10.9.9.9')).toEqual({
      ok: false,
      reason: 'throttled',
    });
    expect(credentials.verifyCalls).toBe(calls);
  });

  it('the lockout ends and the right password works again', async () => {
    const { login, clock } = setup();
    for (let i = 0; i < 5; i++) await login('s-001', 's-001', 'guess');
    clock.advance(5_000);
    expect((await login('s-001', 's-001', 'good-secret')).ok).toBe(true);
  });

  it('5 bad logins from one address throttle that address for every username, not others', async () => {
    const { login } = setup();
    for (let i = 0; i < 5; i++) await login(`x-${i}`, `x-${i}`, 'guess', '203.0.113.9');
    expect(await login('s-001', 's-001', 'good-secret', '203.0.113.9')).toEqual({
      ok: false,
      reason: 'throttled',
    });
    expect((await login('s-001', 's-001', 'good-secret', '10.0.0.8')).ok).toBe(true);
  });

  it('client id mismatches are not counted as password guesses', async () => {
    const { login } = setup();
    for (let i = 0; i < 6; i++) await login('wrong', 's-001', 'good-secret');
    expect((await login('s-001', 's-001', 'good-secret')).ok).toBe(true);
  });

  it('a reconnect storm of good logins behind one address (a NAT) is not throttled', async () => {
    const { login, credentials } = setup();
    for (let i = 0; i < 30; i++) credentials.sensors.set(`n-${i}`, `hash:secret-${i}`);
    credentials.slow = true;
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(`n-${i}`, `n-${i}`, `secret-${i}`, '100.64.0.1')),
    );
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  });

  it('concurrent wrong guesses cannot outrun the throttle: at most 5 slow verifies per username', async () => {
    // Connections arrive together; each verify finishes later (scrypt on the thread pool).
    const { login, credentials } = setup();
    credentials.slow = true;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login('s-001', 's-001', `guess-${i}`, `198.51.100.${i}`)),
    );
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expect(credentials.verifyCalls).toBeLessThanOrEqual(5);
  });
});

describe('Authenticator: service clients', () => {
  it('an API token under username "token" gives a service identity', async () => {
    const { login } = setup();
    expect(await login('dash-1', 'token', 'sw_admin')).toEqual({
      ok: true,
      identity: {
        kind: 'service',
        tokenId: 'tok-1',
        role: 'admin',
        gridId: null,
        name: 'command room',
        expiresAt: null,
      },
    });
  });

  it('refuses unknown tokens and roles without MQTT access', async () => {
    const { login } = setup();
    expect(await login('dash-1', 'token', 'sw_nope')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await login('dash-1', 'token', 'sw_viewer')).toEqual({ ok: false, reason: 'role_not_allowed' });
  });

  it('bad tokens from one address do not lock every service client out (the username "token" is shared)', async () => {
    const { login } = setup();
    for (let i = 0; i < 5; i++) await login('x', 'token', `sw_guess_${i}`, '203.0.113.9');
    expect((await login('dash-1', 'token', 'sw_admin', '10.0.0.2')).ok).toBe(true);
  });
});
