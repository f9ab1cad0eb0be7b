/**
 * "No flood": at most `limit` notifications per recipient per sliding `windowMs`. The excess is not
 * dropped: it is folded, and once the window has room again the recipient gets ONE summary
 * notification listing everything folded. The window is in memory (after a restart it starts
 * empty — at worst a few extra messages); folded items are restored from the outbox (`restore`).
 * Time is always passed in.
 */

export interface LimiterOptions {
  limit: number;
  windowMs: number;
}

export const DEFAULT_LIMITER: LimiterOptions = { limit: 6, windowMs: 60_000 };

export type Admission = { send: true } | { send: false; folded: number };

/**
 * When a recipient's summary may go out at the earliest besides the recipient's own window (its
 * group robot's budget, see notifiers/robotRateLimit.ts); null = no other constraint.
 */
export type SummaryReadyAt<T> = (recipientId: string, items: readonly T[]) => number | null;

export interface FoldedSummary<T> {
  recipientId: string;
  items: T[];
}

export class RecipientLimiter<T> {
  private readonly sent = new Map<string, number[]>();
  private readonly folded = new Map<string, T[]>();

  constructor(private readonly opts: LimiterOptions = DEFAULT_LIMITER) {}

  /** Ask to send `item` to `recipientId` now. `send:false` means it was folded for a later summary. */
  offer(recipientId: string, item: T, now: number): Admission {
    const times = this.prune(recipientId, now);
    const pending = this.folded.get(recipientId);
    // While a summary is pending, new items join it so they arrive in order, not ahead of it.
    if (times.length < this.opts.limit && !pending) {
      times.push(now);
      this.sent.set(recipientId, times);
      return { send: true };
    }
    const list = pending ?? [];
    list.push(item);
    this.folded.set(recipientId, list);
    return { send: false, folded: list.length };
  }

  /**
   * Fold `item` regardless of the recipient's window (its channel cannot take it now: a full robot),
   * or, after a restart, an item folded before it that still waits for its summary.
   */
  restore(recipientId: string, item: T): void {
    const list = this.folded.get(recipientId) ?? [];
    list.push(item);
    this.folded.set(recipientId, list);
  }

  /** Summaries whose recipient has room again; each counts as one notification sent at `now`. */
  dueSummaries(now: number, readyAt?: SummaryReadyAt<T>): FoldedSummary<T>[] {
    const out: FoldedSummary<T>[] = [];
    for (const [recipientId, items] of this.folded) {
      const times = this.prune(recipientId, now);
      if (times.length >= this.opts.limit) continue;
      const other = readyAt?.(recipientId, items) ?? null;
      if (other !== null && other > now) continue;
      times.push(now);
      this.sent.set(recipientId, times);
      this.folded.delete(recipientId);
      out.push({ recipientId, items });
    }
    return out;
  }

  /** Earliest time a pending summary can go out (for the engine's timer), or null. */
  nextDueAt(readyAt?: SummaryReadyAt<T>): number | null {
    let min: number | null = null;
    for (const [recipientId, items] of this.folded) {
      const times = this.sent.get(recipientId) ?? [];
      const idx = times.length - this.opts.limit;
      const own = idx >= 0 ? times[idx]! + this.opts.windowMs : 0;
      const at = Math.max(own, readyAt?.(recipientId, items) ?? 0);
      if (min === null || at < min) min = at;
    }
    return min;
  }

  pendingCount(): number {
    let n = 0;
    for (const items of this.folded.values()) n += items.length;
    return n;
  }

  private prune(recipientId: string, now: number): number[] {
    const times = this.sent.get(recipientId) ?? [];
    let i = 0;
    while (i < times.length && times[i]! <= now - this.opts.windowMs) i++;
    const kept = i > 0 ? times.slice(i) : times;
    if (kept.length === 0) this.sent.delete(recipientId);
    else this.sent.set(recipientId, kept);
    return kept;
  }
}
