import { describe, expect, it } from 'vitest';
import { histogramBuckets, quantileBetween } from '../../../bench/lib/promHistogram.ts';

// Prometheus text as prom-client writes a histogram (cumulative buckets, le="+Inf" last).
const scrape = (counts: [string, number][]) =>
  [
    '# HELP h_seconds help',
    '# TYPE h_seconds histogram',
    ...counts.map(([le, n]) => `h_seconds_bucket{le="${le}"} ${n}`),
    `h_seconds_sum 1`,
    `h_seconds_count ${counts.at(-1)?.[1] ?? 0}`,
  ].join('\n');

describe('bench: a histogram between two scrapes', () => {
  const before = histogramBuckets(
    scrape([
      ['0.001', 10],
      ['0.002', 10],
      ['0.005', 10],
      ['+Inf', 10],
    ]),
    'h_seconds',
  );

  it('reads the cumulative buckets in order', () => {
    expect(before.map((b) => b.le)).toEqual([0.001, 0.002, 0.005, Number.POSITIVE_INFINITY]);
    expect(before.map((b) => b.count)).toEqual([10, 10, 10, 10]);
  });

  it('takes the quantile of the new observations only, linear within a bucket (histogram_quantile)', () => {
    // 100 new observations: 50 at or below 1 ms, 40 in (1, 2] ms, 10 in (2, 5] ms.
    const after = histogramBuckets(
      scrape([
        ['0.001', 60],
        ['0.002', 100],
        ['0.005', 110],
        ['+Inf', 110],
      ]),
      'h_seconds',
    );
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.001, 9);
    expect(quantileBetween(before, after, 0.7)).toBeCloseTo(0.0015, 9);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.0047, 9);
  });

  it('past the last finite bucket answers that bucket, and nothing new answers null', () => {
    const slow = histogramBuckets(
      scrape([
        ['0.001', 10],
        ['0.002', 10],
        ['0.005', 10],
        ['+Inf', 20],
      ]),
      'h_seconds',
    );
    expect(quantileBetween(before, slow, 0.5)).toBe(0.005);
    expect(quantileBetween(before, before, 0.5)).toBeNull();
  });
});
