import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../broker/loginThrottle.ts';
import { ManualClock } from '../../../core/clock.ts';

const T0 = 1_700_000_000_000;

function fail(t: LoginThrottle, key: string, times: number): void {
  for (let i = 0; i < times; i++) t.recordFailure(key);
}

describe('LoginThrottle', () => {
  it('locks a key after 5 failures within the window, not after 4', () => {
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock);
    fail(t, 'user:s1', 4);
    expect(t.isLocked('user:s1')).toBe(false);
    t.recordFailure('user:s1');
    expect(t.isLocked('user:s1')).toBe(true);
    expect(t.isLocked('user:s2')).toBe(false);
  });

  it('the first lockout lasts 5 s: [lock, lock + 5 s)', () => {
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock);
    fail(t, 'k', 5);
    clock.advance(4_999);
    expect(t.isLocked('k')).toBe(true);
    clock.advance(1);
    expect(t.isLocked('k')).toBe(false);
  });

  it('failures spread over more than the window do not lock', () => {
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock);
    fail(t, 'k', 4);
    clock.advance(60_001);
    t.recordFailure('k');
    expect(t.isLocked('k')).toBe(false);
    fail(t, 'k', 3);
    expect(t.isLocked('k')).toBe(false);
    t.recordFailure('k');
    expect(t.isLocked('k')).toBe(true);
  });

  it('each further lockout doubles, capped at 15 minutes', () => {
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock);
    const durations: number[] = [];
    for (let round = 0; round < 10; round++) {
      fail(t, 'k', 5);
      let locked = 0;
      while (t.isLocked('k')) {
        clock.advance(1_000);
        locked += 1_000;
      }
      durations.push(locked);
    }
    expect(durations).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900, 900].map((s) => s * 1_000));
  });

  it('the doubling survives a quiet spell longer than the window', () => {
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock);
    fail(t, 'k', 5);
    clock.advance(10 * 60_000);
    fail(t, 'k', 5);
    clock.advance(9_999);
    expect(t.isLocked('k')).toBe(true);
  });

  it('a success forgets the key', () => {
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock);
    fail(t, 'k', 4);
    t.recordSuccess('k');
    t.recordFailure('k');
    expect(t.isLocked('k')).toBe(false);
    expect(t.size()).toBe(1);
  });

  it('keeps at most maxEntries keys, evicting the oldest that holds no lockout', () => {
    // A flood of throwaway keys (IPv6 addresses are cheap) must not clear a lockout.
    const clock = new ManualClock(T0);
    const t = new LoginThrottle(clock, 5, 60_000, 5_000, 900_000, 3);
    fail(t, 'a', 5);
    t.recordFailure('b');
    t.recordFailure('c');
    t.recordFailure('d');
    expect(t.size()).toBe(3);
    expect(t.isLocked('a')).toBe(true);
  });
});
