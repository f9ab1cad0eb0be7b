import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeriesTimes } from '../../../../ingest/telemetry/seriesTimes.ts';

const fixedClock = (start = 0) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

/** Each call a different point (its own fields), as different messages are. */
let n = 0;
const distinct = (times: SeriesTimes, series: string, time: number): number =>
  times.assign(series, time, `n=${++n}i`);

describe('SeriesTimes: one millisecond per point of a series', () => {
  it('keeps a free millisecond as it is', () => {
    const times = new SeriesTimes(fixedClock());
    expect([1000, 2000, 1500].map((t) => distinct(times, 'door,sensor=a', t))).toEqual([1000, 2000, 1500]);
    expect(times.moved).toBe(0);
  });

  it('moves a taken millisecond to the next free one, in arrival order', () => {
    const times = new SeriesTimes(fixedClock());
    const assigned = Array.from({ length: 5_000 }, () => distinct(times, 'door,sensor=a', 1000));
    expect(assigned).toEqual(Array.from({ length: 5_000 }, (_, i) => 1000 + i));
    expect(times.moved).toBe(4_999);
  });

  it('steps over a run it lands in and the runs that follow it', () => {
    const times = new SeriesTimes(fixedClock());
    const s = 'door,sensor=a';
    expect(distinct(times, s, 1002)).toBe(1002);
    expect(distinct(times, s, 1000)).toBe(1000);
    expect(distinct(times, s, 1000)).toBe(1001); // joins 1000 and 1002 into one run
    expect(distinct(times, s, 1000)).toBe(1003);
    expect(distinct(times, s, 1001)).toBe(1004);
  });

  it('the same point again (a message re-sent after a failed commit) lands on itself; another one moves', () => {
    const times = new SeriesTimes(fixedClock());
    const s = 'door,sensor=a';
    expect(times.assign(s, 1000, 'open=true,seq=1i')).toBe(1000);
    expect(times.assign(s, 1000, 'open=false,seq=2i')).toBe(1001);
    expect(times.assign(s, 1000, 'open=true,seq=1i')).toBe(1000);
    expect(times.assign(s, 1000, 'open=false,seq=2i')).toBe(1001);
    expect(times.moved).toBe(1);
  });

  it('series are independent', () => {
    const times = new SeriesTimes(fixedClock());
    expect(distinct(times, 'door,sensor=a', 1000)).toBe(1000);
    expect(distinct(times, 'door,sensor=b', 1000)).toBe(1000);
    expect(distinct(times, 'heartbeat,sensor=a', 1000)).toBe(1000);
  });

  it('remembers a series for at least a minute of wall time, then forgets it', () => {
    const clock = fixedClock();
    const times = new SeriesTimes(clock);
    distinct(times, 'door,sensor=a', 1000);
    clock.advance(60_000);
    distinct(times, 'door,sensor=b', 5); // rotates: sensor a is in the older generation
    expect(distinct(times, 'door,sensor=a', 1000)).toBe(1001);
    clock.advance(60_000);
    distinct(times, 'door,sensor=b', 6);
    clock.advance(60_000);
    distinct(times, 'door,sensor=b', 7);
    expect(distinct(times, 'door,sensor=a', 1000)).toBe(1000);
  });

  it('gives every point of a bursty series its own millisecond, never earlier than its own', () => {
    // Times that mostly go forward with bursts on one millisecond and some stragglers: runs extend,
    // touch and merge in every order.
    const step = fc.oneof(
      fc.constant(0),
      fc.constant(0),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: -6, max: -1 }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 300 }), (steps) => {
        const times = new SeriesTimes(fixedClock());
        let t = 10_000;
        let newest = t;
        const given = steps.map((d) => {
          // A straggler is at most 6 ms behind the newest point of its series: a few runs near the
          // top are remembered, not the whole past (a device clock that jumps back further is not a
          // burst, and de-duplication drops a repeated message before it gets here).
          t = Math.max(t + d, newest - 6);
          newest = Math.max(newest, t);
          return { own: t, at: distinct(times, 'heartbeat,sensor=p', t) };
        });
        expect(given.every((g) => g.at >= g.own)).toBe(true);
        expect(new Set(given.map((g) => g.at)).size).toBe(given.length);
        expect(times.moved).toBe(given.filter((g) => g.at !== g.own).length);
      }),
      { numRuns: 2000 },
    );
  });
});
