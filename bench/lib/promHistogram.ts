/**
 * A Prometheus histogram read from /metrics text, and a quantile of what it counted between two
 * scrapes (as PromQL's histogram_quantile: linear within the bucket the quantile falls in).
 */
export type Buckets = Array<{ le: number; count: number }>;

/** A histogram's observation count and sum for one value of its `kind` label (prom-client's GC pauses). */
export function histogramTotalsOfKind(
  text: string,
  name: string,
  kind: string,
): { count: number; sum: number } {
  const value = (suffix: string) => {
    const row = text.split('\n').find((r) => r.startsWith(`${name}_${suffix}{kind="${kind}"}`));
    return row ? Number(row.slice(row.lastIndexOf(' ') + 1)) : 0;
  };
  return { count: value('count'), sum: value('sum') };
}

export function histogramBuckets(text: string, name: string): Buckets {
  const buckets: Buckets = [];
  const line = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`);
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (m)
      buckets.push({ le: m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), count: Number(m[2]) });
  }
  return buckets.sort((a, b) => a.le - b.le);
}

/** The q-quantile (0–1) of the observations made between `before` and `after`; null if none. */
export function quantileBetween(before: Buckets, after: Buckets, q: number): number | null {
  const counts = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const total = counts.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of counts) {
    if (count >= rank) {
      // Past the last finite bucket: its bound is all that can be said.
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}
