/**
 * When a burst of logins has just ended: a county's seals reconnecting after a restart or a network drop
 * come as thousands of connections in seconds, then none. A burst starts at the first connection after a
 * quiet spell and ends when `quietMs` pass without one; it counts if at least `minLogins` came in it.
 * Seals reconnecting one by one through the day never make one, so they never cost a collection.
 */
export class LoginBursts {
  /** Connections accepted at the last change (counts start at 0, with the broker). */
  private lastCount = 0;
  private lastChangeAt = 0;
  /** The count when the burst under way started; null while quiet. */
  private burstFrom: number | null = null;

  constructor(
    private readonly minLogins: number,
    private readonly quietMs: number,
  ) {}

  /**
   * Fed the connections accepted so far, at `nowMs`, every so often; answers the size of a burst that has
   * just ended and counts, else 0.
   */
  observe(accepted: number, nowMs: number): number {
    if (accepted !== this.lastCount) {
      this.burstFrom ??= this.lastCount;
      this.lastCount = accepted;
      this.lastChangeAt = nowMs;
      return 0;
    }
    if (this.burstFrom === null || nowMs - this.lastChangeAt < this.quietMs) return 0;
    const size = accepted - this.burstFrom;
    this.burstFrom = null;
    return size >= this.minLogins ? size : 0;
  }
}
