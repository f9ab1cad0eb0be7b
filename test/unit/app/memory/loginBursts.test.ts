import { describe, expect, it } from 'vitest';
import { LoginBursts } from '../../../../app/memory/loginBursts.ts';

/** Feeds (accepted so far, at ms) pairs; answers what each observation returned. */
const feed = (bursts: LoginBursts, points: Array<[number, number]>) =>
  points.map(([accepted, at]) => bursts.observe(accepted, at));

describe('LoginBursts', () => {
  it('answers the size of a burst once, when no connection came for the quiet time', () => {
    const bursts = new LoginBursts(100, 2_000);
    expect(
      feed(bursts, [
        [0, 0],
        [60, 500],
        [400, 1_000],
        [410, 1_500],
        [410, 3_000], // 1.5 s quiet: not yet
        [410, 3_500], // 2 s quiet: the burst 0 → 410 ended
        [410, 4_000],
        [410, 60_000],
      ]),
    ).toEqual([0, 0, 0, 0, 0, 410, 0, 0]);
  });

  it('ignores a burst smaller than the minimum, and counts the next from where it ended', () => {
    const bursts = new LoginBursts(100, 2_000);
    expect(
      feed(bursts, [
        [0, 0],
        [99, 500],
        [99, 2_500], // 99 logins: too few
        [150, 3_000],
        [199, 3_500],
        [199, 5_500], // 100 from 99
      ]),
    ).toEqual([0, 0, 0, 0, 0, 100]);
  });

  it('counts the logins made before its first look (the broker counts from 0)', () => {
    const bursts = new LoginBursts(100, 2_000);
    expect(
      feed(bursts, [
        [500, 400],
        [500, 2_400],
      ]),
    ).toEqual([0, 500]);
  });

  it('never answers for seals that reconnect one by one, each after a quiet spell', () => {
    const bursts = new LoginBursts(3, 2_000);
    const points: Array<[number, number]> = [];
    for (let k = 0; k < 20; k++) points.push([k, k * 5_000], [k, k * 5_000 + 2_500]);
    expect(feed(bursts, points).every((n) => n === 0)).toBe(true);
  });

  it('waits for the end of a burst that never pauses for the quiet time', () => {
    const bursts = new LoginBursts(3, 2_000);
    const steady: Array<[number, number]> = [];
    for (let k = 0; k <= 40; k++) steady.push([k * 10, k * 1_000]); // a login every 100 ms for 40 s
    expect(feed(bursts, steady).every((n) => n === 0)).toBe(true);
    expect(bursts.observe(400, 42_000)).toBe(400);
  });
});
