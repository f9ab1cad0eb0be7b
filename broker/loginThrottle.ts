import type { Clock } from '../core/clock.ts';

interface Entry {
  failures: number;
  /** Checks under way: counted against the limit so parallel guesses cannot outrun it. */
  pending: number;
  firstFailure: number;
  lockedUntil: number;
  lockouts: number;
}

/**
 * Throttles failed logins per client address and per username. After
 * `maxFailures` failures within `windowMs`, the key is locked out for a time
 * that doubles with each lockout (capped), and logins under it are refused
 * without even checking the password, so guessing costs the attacker time
 * and us no CPU.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly maxFailures = 5,
    private readonly windowMs = 60_000,
    private readonly baseLockMs = 5_000,
    private readonly maxLockMs = 15 * 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  isLocked(key: string): boolean {
    const e = this.entries.get(key);
    return e !== undefined && this.clock.now() < e.lockedUntil;
  }

  /** How long until none of these keys is locked out (ms; 0: none is), for a Retry-After. */
  lockedForMs(keys: readonly string[]): number {
    const now = this.clock.now();
    let longest = 0;
    for (const key of keys) longest = Math.max(longest, (this.entries.get(key)?.lockedUntil ?? 0) - now);
    return longest;
  }

  /**
   * Reserves a check, or refuses when a key is locked or has used up its
   * failures. Checks still under way count against the per-username limit,
   * so parallel guesses cannot outrun it; not against the per-address one,
   * where many honest devices behind one NAT reconnect at once.
   */
  tryBegin(keys: readonly string[], concurrentKey: string | null): boolean {
    const now = this.clock.now();
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      if (now < e.lockedUntil) return false;
      const failures = now - e.firstFailure > this.windowMs ? 0 : e.failures;
      const pending = key === concurrentKey ? e.pending : 0;
      if (failures + pending >= this.maxFailures) return false;
    }
    for (const key of keys) this.entry(key, now).pending++;
    return true;
  }

  finish(keys: readonly string[], result: 'success' | 'failure' | 'neutral'): void {
    for (const key of keys) {
      const e = this.entries.get(key);
      if (e) e.pending = Math.max(0, e.pending - 1);
      if (result === 'success') this.recordSuccess(key);
      else if (result === 'failure') this.recordFailure(key);
    }
  }

  recordFailure(key: string): void {
    const now = this.clock.now();
    const e = this.entry(key, now);
    if (now - e.firstFailure > this.windowMs) {
      e.failures = 0;
      e.firstFailure = now;
    }
    e.failures++;
    if (e.failures >= this.maxFailures) {
      e.lockedUntil = now + Math.min(this.maxLockMs, this.baseLockMs * 2 ** e.lockouts);
      e.lockouts++;
      e.failures = 0;
      e.firstFailure = now;
    }
  }

  recordSuccess(key: string): void {
    const e = this.entries.get(key);
    if (e && e.pending === 0) this.entries.delete(key);
    else if (e) e.failures = 0;
  }

  private entry(key: string, now: number): Entry {
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.maxEntries) this.evictOldest();
      e = { failures: 0, pending: 0, firstFailure: now, lockedUntil: 0, lockouts: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  size(): number {
    return this.entries.size;
  }

  /** Evicts the oldest entry that holds no lockout, so a flood of new keys cannot clear one. */
  private evictOldest(): void {
    const now = this.clock.now();
    let looked = 0;
    for (const [key, e] of this.entries) {
      if (now >= e.lockedUntil && e.pending === 0) {
        this.entries.delete(key);
        return;
      }
      if (++looked >= 1000) break;
    }
  }
}
