/** The only place that reads the system time; everything else is handed a Clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  set(epochMs: number): void {
    this.current = epochMs;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** setTimeout fires at once for delays past 2^31-1 ms (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `fn` once the clock reads `at` or later (at once when it already does); returns a cancel.
 * Long waits go in steps, each checking the clock again. The timer does not keep the process up.
 */
export function atTime(clock: Clock, at: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const wait = () => {
    const left = at - clock.now();
    if (left <= 0) return fn();
    timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  timer = setTimeout(wait, 0);
  timer.unref();
  return () => clearTimeout(timer);
}
