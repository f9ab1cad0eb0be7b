import { describe, expect, it } from 'vitest';
import { Battery } from '../../../simulator/models/battery.ts';
import { DoorHabits } from '../../../simulator/models/doorHabits.ts';
import { FlakyLink, linkQualityFromRssi } from '../../../simulator/models/flakyLink.ts';
import { childSeed, createRng } from '../../../simulator/models/rng.ts';

const HOUR = 3_600_000;
const utcHour = (ms: number) => new Date(ms).getUTCHours();
const midnight = Date.UTC(2026, 0, 1);

describe('seeded randomness', () => {
  it('replays exactly for one seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(childSeed(1, 0)).not.toBe(childSeed(1, 1));
  });
});

describe('door habits', () => {
  const habits = new DoorHabits({ opensPerDay: 4, hourOf: utcHour, openForMs: [5000, 10_000] });

  it('is deterministic for a seed', () => {
    const a = habits.nextOpening(midnight, createRng(9));
    const b = habits.nextOpening(midnight, createRng(9));
    expect(a).toEqual(b);
    expect(a!.openAt).toBeGreaterThan(midnight);
    expect(a!.closeAt - a!.openAt).toBeGreaterThanOrEqual(5000);
    expect(a!.closeAt - a!.openAt).toBeLessThanOrEqual(10_000);
  });

  it('opens about opensPerDay times a day, mostly by day', () => {
    const rng = createRng(1);
    let t = midnight;
    const hours: number[] = [];
    while (t < midnight + 100 * 24 * HOUR) {
      const next = habits.nextOpening(t, rng)!;
      hours.push(utcHour(next.openAt));
      t = next.closeAt;
    }
    const perDay = hours.length / 100;
    expect(perDay).toBeGreaterThan(3.2);
    expect(perDay).toBeLessThan(4.8);
    const night = hours.filter((h) => h < 5).length;
    const noon = hours.filter((h) => h === 12).length;
    expect(noon).toBeGreaterThan(night * 3);
  });

  it('never opens when the rate is zero', () => {
    expect(new DoorHabits({ opensPerDay: 0 }).nextOpening(midnight, createRng(1))).toBeNull();
  });

  it('rejects a malformed profile', () => {
    expect(() => new DoorHabits({ opensPerDay: 1, hourlyWeights: [1, 2, 3] })).toThrow(/24/);
  });
});

describe('battery', () => {
  it('drains with time and transmissions and reports whole percent', () => {
    const b = new Battery({ startPercent: 50, drainPerHour: 1, drainPerMessage: 0.5 }, 0);
    expect(b.levelAt(0)).toBe(50);
    expect(b.levelAt(2 * HOUR)).toBe(48);
    b.onTransmit();
    b.onTransmit();
    expect(b.levelAt(2 * HOUR)).toBe(47);
    expect(b.levelAt(100 * HOUR)).toBe(0);
    expect(b.flat).toBe(true);
  });

  it('maps level to a CR2032-like voltage', () => {
    const b = new Battery({ startPercent: 100, drainPerHour: 0 }, 0);
    expect(b.voltageMv(0)).toBe(3000);
    b.set(0);
    expect(b.voltageMv(0)).toBe(2100);
  });
});

describe('flaky link', () => {
  it('drops with the given probability and for a drawn time', () => {
    const link = new FlakyLink({ dropProbability: 0.25, downForMs: [1000, 2000] });
    const rng = createRng(5);
    const downs = Array.from({ length: 4000 }, () => link.maybeDrop(rng)).filter(
      (d) => d !== null,
    ) as number[];
    expect(downs.length / 4000).toBeGreaterThan(0.2);
    expect(downs.length / 4000).toBeLessThan(0.3);
    expect(Math.min(...downs)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...downs)).toBeLessThanOrEqual(2000);
    expect(new FlakyLink({ dropProbability: 0, downForMs: [1, 2] }).maybeDrop(rng)).toBeNull();
  });

  it('maps RSSI to Zigbee link quality within 0..255', () => {
    expect(linkQualityFromRssi(-100)).toBe(0);
    expect(linkQualityFromRssi(-70)).toBe(120);
    expect(linkQualityFromRssi(0)).toBe(255);
  });
});
