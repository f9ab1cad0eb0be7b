import type { Clock } from '../core/clock.ts';

interface Entry {
  failures: number;
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

  recordFailure(key: string): void {
    const now = this.clock.now();
    let e = this.entries.get(key);
    if (!e || now - e.firstFailure > this.windowMs) {
      if (!e && this.entries.size >= this.maxEntries) this.evictOldest();
      e = { failures: 0, firstFailure: now, lockedUntil: e?.lockedUntil ?? 0, lockouts: e?.lockouts ?? 0 };
      this.entries.set(key, e);
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
    this.entries.delete(key);
  }

  size(): number {
    return this.entries.size;
  }

  private evictOldest(): void {
    const first = this.entries.keys().next();
    if (!first.done) this.entries.delete(first.value);
  }
}
