import { createHash, timingSafeEqual } from 'node:crypto';
import { type Identity, SERVICE_USERNAME } from './identity.ts';
import type { LoginThrottle } from './loginThrottle.ts';

/** What the broker needs to know about credentials; the registry provides it. */
export interface CredentialSource {
  sensorSecretHash(id: string): string | undefined;
  gateway(id: string): { sensorIds: string[] } | undefined;
  gatewaySecretHash(id: string): string | undefined;
  findServiceToken(value: string): Promise<{
    id: string;
    role: string;
    gridId: string | null;
    name: string;
    expiresAt: number | null;
  } | null>;
  verifySecret(secret: string, hash: string): Promise<boolean>;
  /**
   * A device logged in with `secret`, which matched its stored `hash`: the source may store the
   * secret's hash in a newer format. The login does not wait for it; it must not throw.
   */
  loggedIn(id: string, secret: string, hash: string): void;
}

export type AuthOutcome =
  | { ok: true; identity: Identity }
  | {
      ok: false;
      reason: 'throttled' | 'anonymous' | 'bad_credentials' | 'client_id_mismatch' | 'role_not_allowed';
    };

const SERVICE_ROLES = new Set(['admin', 'technician', 'monitor']);

/**
 * SHA-256 of (stored hash, password), kept as a 32-character binary (latin1) string: one small heap string per
 * device instead of a Buffer with its own ArrayBuffer (about 50 bytes instead of about 250, times every
 * device of a county).
 */
const fingerprint = (hash: string, password: string): string =>
  createHash('sha256').update(hash).update('\0').update(password).digest('binary');

/** Constant-time, like the hash check it stands for. */
const sameFingerprint = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));

/**
 * Decides who a CONNECT is. Device secrets are checked against their stored
 * hash once; a successful check is remembered as a fast fingerprint of
 * (stored hash, password), so a reconnect storm does not repeat the hash (a
 * few µs instead of about 50 µs of PBKDF2, or 50 ms of an old scrypt hash).
 * Changing the stored hash invalidates it.
 */
export class Authenticator {
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly credentials: CredentialSource,
    private readonly throttle: LoginThrottle,
  ) {}

  async authenticate(
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
    address: string,
  ): Promise<AuthOutcome> {
    if (!username || !password) return { ok: false, reason: 'anonymous' };
    // The service username is shared by every service client: throttle it by address only.
    const userKey = username === SERVICE_USERNAME ? null : `user:${username}`;
    const keys = userKey ? [`addr:${address}`, userKey] : [`addr:${address}`];
    if (!this.throttle.tryBegin(keys, userKey)) return { ok: false, reason: 'throttled' };

    let outcome: AuthOutcome;
    try {
      outcome = await this.check(clientId, username, password.toString('utf8'));
    } catch (err) {
      this.throttle.finish(keys, 'neutral');
      throw err;
    }
    // Only a wrong secret counts as a guess; a right secret with a wrong client id does not.
    this.throttle.finish(
      keys,
      outcome.ok ? 'success' : outcome.reason === 'bad_credentials' ? 'failure' : 'neutral',
    );
    return outcome;
  }

  private async check(clientId: string, username: string, password: string): Promise<AuthOutcome> {
    if (username === SERVICE_USERNAME) {
      const token = await this.credentials.findServiceToken(password);
      if (!token) return { ok: false, reason: 'bad_credentials' };
      if (!SERVICE_ROLES.has(token.role)) return { ok: false, reason: 'role_not_allowed' };
      return {
        ok: true,
        identity: {
          kind: 'service',
          tokenId: token.id,
          role: token.role,
          gridId: token.gridId,
          name: token.name,
          expiresAt: token.expiresAt,
        },
      };
    }

    const sensorHash = this.credentials.sensorSecretHash(username);
    const gatewayHash = sensorHash === undefined ? this.credentials.gatewaySecretHash(username) : undefined;
    const hash = sensorHash ?? gatewayHash;
    if (hash === undefined || !(await this.passwordMatches(username, hash, password))) {
      return { ok: false, reason: 'bad_credentials' };
    }
    // Devices must connect with client id = username: one session per device,
    // and a stolen session id cannot be taken over under another name.
    if (clientId !== username) return { ok: false, reason: 'client_id_mismatch' };
    this.credentials.loggedIn(username, password, hash);
    if (sensorHash !== undefined) return { ok: true, identity: { kind: 'sensor', id: username } };
    const gateway = this.credentials.gateway(username);
    return {
      ok: true,
      identity: { kind: 'gateway', id: username, sensorIds: new Set(gateway?.sensorIds ?? []) },
    };
  }

  /**
   * Drops the remembered login of a device removed or given a new secret. The fingerprint covers the
   * stored hash, so a new secret would not match it anyway; this keeps the old secret's fingerprint
   * from outliving the device's session, and the map from keeping removed devices.
   */
  forget(id: string): void {
    this.verified.delete(id);
  }

  private async passwordMatches(username: string, hash: string, password: string): Promise<boolean> {
    const print = fingerprint(hash, password);
    const known = this.verified.get(username);
    if (known !== undefined && sameFingerprint(known, print)) return true;
    const ok = await this.credentials.verifySecret(password, hash);
    if (ok) this.verified.set(username, print);
    return ok;
  }
}
