/**
 * Outbox retry timing: exponential back-off with full jitter (delay uniformly in [0, min(cap,
 * base·2^attempt)]), which spreads retries of many failed deliveries instead of retrying them in
 * lock-step against a receiver that just came back.
 */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Give up (mark failed) once the first attempt is this old. */
  maxAgeMs: number;
  /** Injected for tests; returns [0, 1). */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 5_000,
  capMs: 15 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
  random: Math.random,
};

/** Delay before retry number `attempt` (0 = the retry after the first failure). */
export function backoffDelay(attempt: number, opts: Partial<BackoffOptions> = {}): number {
  const o = { ...DEFAULT_BACKOFF, ...opts };
  const exp = Math.min(o.capMs, o.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(o.random() * exp);
}

export type RetryPlan = { retry: true; at: number } | { retry: false; reason: 'maxAge' };

/**
 * When to try again after a retryable failure. A receiver's `retryAfterMs` (Retry-After, rate limit)
 * is a floor; past `maxAgeMs` since the first attempt we stop and the outbox row is marked failed.
 */
export function planRetry(input: {
  attempt: number;
  firstAttemptAt: number;
  now: number;
  retryAfterMs?: number | undefined;
  opts?: Partial<BackoffOptions>;
}): RetryPlan {
  const o = { ...DEFAULT_BACKOFF, ...input.opts };
  const delay = Math.max(backoffDelay(input.attempt, o), input.retryAfterMs ?? 0);
  const at = input.now + delay;
  if (at - input.firstAttemptAt > o.maxAgeMs) return { retry: false, reason: 'maxAge' };
  return { retry: true, at };
}
