import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { keyedLogThrottle, LogThrottle } from '../../../core/logThrottle.ts';

describe('LogThrottle', () => {
  it('lets one line through per interval and reports how many it held back', () => {
    const clock = new ManualClock(1000);
    const throttle = new LogThrottle(10_000, clock);
    const emitted: number[] = [];
    for (let i = 0; i < 5; i++) throttle.attempt((suppressed) => emitted.push(suppressed));
    expect(emitted).toEqual([0]);
    clock.advance(10_000);
    throttle.attempt((suppressed) => emitted.push(suppressed));
    expect(emitted).toEqual([0, 4]);
  });

  it('lets a few lines per key through per interval, each key on its own', () => {
    const clock = new ManualClock(0);
    const throttled = keyedLogThrottle(10_000, 2, clock);
    const emitted: string[] = [];
    for (let i = 0; i < 4; i++) throttled('a', (s) => emitted.push(`a${s}`));
    throttled('b', (s) => emitted.push(`b${s}`));
    expect(emitted).toEqual(['a0', 'a0', 'b0']);
    clock.advance(10_000);
    throttled('a', (s) => emitted.push(`a${s}`));
    expect(emitted).toEqual(['a0', 'a0', 'b0', 'a2']);
  });
});
