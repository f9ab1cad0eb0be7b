import { describe, expect, it } from 'vitest';
import { backoffDelay, planRetry } from '../../../alerting/backoff.ts';
import { RecipientLimiter } from '../../../alerting/recipientLimiter.ts';
import { MIN, T0 } from './fixtures.ts';

describe('backoff with full jitter', () => {
  it.each([
    [0, 1, 5_000],
    [1, 1, 10_000],
    [3, 0.5, 20_000],
    [20, 0.999999, 899_999], // capped at 15 min
    [0, 0, 0],
  ])('attempt %s, random %s → %s ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, { random: () => r })).toBe(expected);
  });

  it('honours Retry-After as a floor and gives up after maxAge', () => {
    expect(
      planRetry({ attempt: 0, firstAttemptAt: T0, now: T0, retryAfterMs: 60_000, opts: { random: () => 0 } }),
    ).toEqual({ retry: true, at: T0 + 60_000 });
    expect(
      planRetry({ attempt: 5, firstAttemptAt: T0 - 24 * 60 * MIN, now: T0, opts: { random: () => 0.5 } }),
    ).toEqual({ retry: false, reason: 'maxAge' });
  });
});

describe('per-recipient limiter', () => {
  it('sends up to the limit per window, folds the rest into one summary when room returns', () => {
    const l = new RecipientLimiter<string>({ limit: 3, windowMs: MIN });
    const sent = ['a', 'b', 'c', 'd', 'e'].map((x, i) => l.offer('w1', x, T0 + i * 1000).send);
    expect(sent).toEqual([true, true, true, false, false]);
    expect(l.offer('w2', 'other', T0 + 5000).send).toBe(true); // per recipient
    expect(l.dueSummaries(T0 + MIN - 1)).toEqual([]);
    expect(l.nextDueAt()).toBe(T0 + MIN);
    expect(l.dueSummaries(T0 + MIN)).toEqual([{ recipientId: 'w1', items: ['d', 'e'] }]);
    expect(l.pendingCount()).toBe(0);
    // The summary took one slot: 2 more fit in the window (b and c still count until T0+61 s/62 s).
    expect(l.offer('w1', 'f', T0 + MIN + 1).send).toBe(false);
    expect(l.dueSummaries(T0 + MIN + 1000)).toEqual([{ recipientId: 'w1', items: ['f'] }]);
  });

  it('new items wait behind a pending summary instead of overtaking it', () => {
    const l = new RecipientLimiter<number>({ limit: 1, windowMs: MIN });
    expect(l.offer('w', 1, T0).send).toBe(true);
    expect(l.offer('w', 2, T0 + 1).send).toBe(false);
    expect(l.offer('w', 3, T0 + 2 * MIN).send).toBe(false);
    expect(l.dueSummaries(T0 + 2 * MIN)).toEqual([{ recipientId: 'w', items: [2, 3] }]);
  });
});
