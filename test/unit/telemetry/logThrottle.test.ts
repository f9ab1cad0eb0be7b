import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { LogThrottle } from '../../../ingest/telemetry/logThrottle.ts';

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
});
