import type { NodeCounts } from './nodeCounts.ts';

export interface OverviewCountsOptions {
  compute(): Map<string, NodeCounts>;
  /** Changes whenever anything the counts depend on changed (events published, registry writes). */
  version(): string;
  now(): number;
  /** Longest a result is reused when nothing changed (offline and arming also move with time). */
  maxAgeMs: number;
  /** Shortest gap between two computations: requests in between wait and share the next one. */
  minGapMs: number;
}

/**
 * The per-node counts behind GET /api/overview, shared by every caller. With 100,000 sensors one
 * computation takes a noticeable slice of the event loop, and every live page asks after every
 * change; computing per request let eight pages stall ingest. A caller never gets counts from
 * before its request when something changed: it waits (at most `minGapMs`) for a fresh result.
 */
export class OverviewCounts {
  private cached: { at: number; version: string; counts: Map<string, NodeCounts> } | null = null;
  private pending: Promise<Map<string, NodeCounts>> | null = null;
  private computations = 0;

  constructor(private readonly o: OverviewCountsOptions) {}

  get(): Promise<Map<string, NodeCounts>> {
    const now = this.o.now();
    const c = this.cached;
    if (c && c.version === this.o.version() && now >= c.at && now - c.at < this.o.maxAgeMs) {
      return Promise.resolve(c.counts);
    }
    if (!this.pending) {
      const wait = c && now >= c.at ? c.at + this.o.minGapMs - now : 0;
      this.pending = new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : resolve()))
        .then(() => {
          const version = this.o.version();
          const counts = this.o.compute();
          this.computations++;
          this.cached = { at: this.o.now(), version, counts };
          return counts;
        })
        .finally(() => {
          this.pending = null;
        });
    }
    return this.pending;
  }

  get stats(): { computations: number } {
    return { computations: this.computations };
  }
}
