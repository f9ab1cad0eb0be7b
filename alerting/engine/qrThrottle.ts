/**
 * Tries per QR code in a sliding window: a code is on a door or in a family chat, so a script (or
 * a child) hammering it must cost us a map lookup, not a database count per try. A resident needs
 * a handful of tries a day; the day's limit (opensPerDay) is the rule, this only stops abuse.
 * In memory, per instance (the QR routes go to the alerting owner).
 */
export class QrThrottle {
  private readonly tries = new Map<string, number[]>();

  constructor(private readonly opts: { limit: number; windowMs: number }) {}

  /** Counts one try of `key` at `now`: 0 when it may go on, else the seconds until it may. */
  take(key: string, now: number): number {
    const since = now - this.opts.windowMs;
    const recent = (this.tries.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.opts.limit) {
      this.tries.set(key, recent);
      return Math.max(1, Math.ceil(((recent[0] as number) + this.opts.windowMs - now) / 1000));
    }
    recent.push(now);
    this.tries.set(key, recent);
    // Forget codes that went quiet, so the map holds only the last window's codes.
    if (this.tries.size > 1000) {
      for (const [k, times] of this.tries) if (!times.some((t) => t > since)) this.tries.delete(k);
    }
    return 0;
  }
}
