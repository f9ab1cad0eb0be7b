/**
 * The one log throttle: lets `perInterval` lines through per interval and counts the ones it held back, so an
 * event that can happen a million times (a flood of bad messages, a server down) costs a few lines per
 * interval and cannot flood the log or slow the service. The next line let through carries the count.
 */
import { type Clock, systemClock } from './clock.ts';

export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private passed = 0;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
    private readonly perInterval = 1,
  ) {}

  /** Calls `emit` with the number of held-back events when this interval has room left; otherwise counts. */
  attempt(emit: (suppressed: number) => void): void {
    const now = this.clock.now();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.passed = 0;
    }
    if (this.passed >= this.perInterval) {
      this.suppressed++;
      return;
    }
    this.passed++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    emit(suppressed);
  }
}

/** A throttle per key (a reject reason, a field name), made on first use; keys must come from a small set. */
export function keyedLogThrottle(
  intervalMs: number,
  perInterval: number,
  clock: Clock = systemClock,
): (key: string, emit: (suppressed: number) => void) => void {
  const throttles = new Map<string, LogThrottle>();
  return (key, emit) => {
    let throttle = throttles.get(key);
    if (!throttle) {
      throttle = new LogThrottle(intervalMs, clock, perInterval);
      throttles.set(key, throttle);
    }
    throttle.attempt(emit);
  };
}
