import { describe, expect, it } from 'vitest';
import { SeriesTimes } from '../../../ingest/telemetry/seriesTimes.ts';

const fixedClock = (start = 0) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('SeriesTimes: one millisecond per point of a series', () => {
  it('keeps a free millisecond as it is', () => {
    const times = new SeriesTimes(fixedClock());
    expect([1000, 2000, 1500].map((t) => times.assign('door,sensor=a', t))).toEqual([1000, 2000, 1500]);
    expect(times.moved).toBe(0);
  });

  it('moves a taken millisecond to the next free one, in arrival order', () => {
    const times = new SeriesTimes(fixedClock());
    const assigned = Array.from({ length: 5_000 }, () => times.assign('door,sensor=a', 1000));
    expect(assigned).toEqual(Array.from({ length: 5_000 }, (_, i) => 1000 + i));
    expect(times.moved).toBe(4_999);
  });

  it('steps over a run it lands in and the runs that follow it', () => {
    const times = new SeriesTimes(fixedClock());
    const s = 'door,sensor=a';
    expect(times.assign(s, 1002)).toBe(1002);
    expect(times.assign(s, 1000)).toBe(1000);
    expect(times.assign(s, 1000)).toBe(1001); // joins 1000 and 1002 into one run
    expect(times.assign(s, 1000)).toBe(1003);
    expect(times.assign(s, 1001)).toBe(1004);
  });

  it('series are independent', () => {
    const times = new SeriesTimes(fixedClock());
    expect(times.assign('door,sensor=a', 1000)).toBe(1000);
    expect(times.assign('door,sensor=b', 1000)).toBe(1000);
    expect(times.assign('heartbeat,sensor=a', 1000)).toBe(1000);
  });

  it('remembers a series for at least a minute of wall time, then forgets it', () => {
    const clock = fixedClock();
    const times = new SeriesTimes(clock);
    times.assign('door,sensor=a', 1000);
    clock.advance(60_000);
    times.assign('door,sensor=b', 5); // rotates: sensor a is in the older generation
    expect(times.assign('door,sensor=a', 1000)).toBe(1001);
    clock.advance(60_000);
    times.assign('door,sensor=b', 6);
    clock.advance(60_000);
    times.assign('door,sensor=b', 7);
    expect(times.assign('door,sensor=a', 1000)).toBe(1000);
  });
});
