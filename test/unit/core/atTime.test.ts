import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { atTime, ManualClock } from '../../../core/clock.ts';

const DAY = 86_400_000;

describe('atTime', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once the clock reads the time, checking again after each step', () => {
    const clock = new ManualClock(0);
    const fn = vi.fn();
    atTime(clock, 1_000, fn);
    vi.advanceTimersByTime(999);
    expect(fn).not.toHaveBeenCalled();
    clock.set(1_000);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('waits past setTimeout’s 24.8-day limit instead of firing at once', () => {
    const clock = new ManualClock(0);
    const fn = vi.fn();
    atTime(clock, 30 * DAY, fn);
    vi.advanceTimersByTime(1);
    expect(fn).not.toHaveBeenCalled();
    // The first step ends near 24.8 days; the clock says it is not yet time.
    clock.set(25 * DAY);
    vi.advanceTimersByTime(25 * DAY);
    expect(fn).not.toHaveBeenCalled();
    clock.set(30 * DAY);
    vi.advanceTimersByTime(5 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a time already past runs at once; a cancelled one never', () => {
    const clock = new ManualClock(5_000);
    const past = vi.fn();
    atTime(clock, 1_000, past);
    const cancelled = vi.fn();
    const cancel = atTime(clock, 6_000, cancelled);
    vi.advanceTimersByTime(0);
    expect(past).toHaveBeenCalledTimes(1);
    cancel();
    clock.set(7_000);
    vi.advanceTimersByTime(DAY);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
