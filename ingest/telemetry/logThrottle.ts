/**
 * Lets one log line through per interval and counts the ones it held back, so
 * an event that can happen a million times costs one line per interval.
 */
import { type Clock, systemClock } from '../../core/clock.ts';

export class LogThrottle {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Calls `emit` with the number of held-back events when the interval has passed; otherwise counts. */
  attempt(emit: (suppressed: number) => void): void {
    const now = this.clock.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.lastAt = now;
    emit(suppressed);
  }
}
