import { describe, expect, it } from 'vitest';
import type { ArmingWindow, Quarantine } from '../../../alerting/alertModel.ts';
import { coveringAnnouncement, isArmed } from '../../../alerting/rules/arming.ts';
import { HOUR, household, MIN, T0 } from './fixtures.ts';

const q: Quarantine[] = [{ householdId: 'h1', start: T0, end: T0 + 14 * 24 * HOUR }];
const gridWindow: ArmingWindow = {
  gridId: 'g-village',
  start: T0 + HOUR,
  end: T0 + 2 * HOUR,
  reason: '上门核酸',
  by: 'w1',
};
const otherGrid: ArmingWindow = { gridId: 'g-other', start: T0, end: T0 + 10 * HOUR, reason: 'x', by: 'w1' };
const hhWindow: ArmingWindow = {
  householdId: 'h1',
  start: T0 + 3 * HOUR,
  end: T0 + 3 * HOUR + 10 * MIN,
  reason: '送餐',
  by: 'w2',
};
const otherHh: ArmingWindow = { householdId: 'h2', start: T0, end: T0 + 10 * HOUR, reason: 'x', by: 'w2' };

describe('isArmed: [start, end) everywhere', () => {
  it.each([
    ['before the quarantine starts', T0 - 1, false],
    ['exactly at quarantine start', T0, true],
    ['exactly at quarantine end', T0 + 14 * 24 * HOUR, false],
    ['one ms before the quarantine ends', T0 + 14 * 24 * HOUR - 1, true],
    ['one ms before a grid window starts', T0 + HOUR - 1, true],
    ['exactly at grid window start (ancestor node applies to the subtree)', T0 + HOUR, false],
    ['inside the grid window', T0 + 90 * MIN, false],
    ['exactly at grid window end: NOT covered', T0 + 2 * HOUR, true],
    ['inside the household window', T0 + 3 * HOUR + 5 * MIN, false],
    ['exactly at household window end', T0 + 3 * HOUR + 10 * MIN, true],
  ])('%s → %s', (_name, t, expected) => {
    expect(isArmed(household, q, [gridWindow, otherGrid, hhWindow, otherHh], t)).toBe(expected);
  });

  it('an open-ended quarantine arms forever; another household’s quarantine arms nothing', () => {
    expect(isArmed(household, [{ householdId: 'h1', start: T0, end: null }], [], T0 + 365 * 24 * HOUR)).toBe(
      true,
    );
    expect(isArmed(household, [{ householdId: 'h2', start: T0, end: null }], [], T0 + HOUR)).toBe(false);
  });

  it('announcements use the same edge semantics', () => {
    const a = [{ householdId: 'h1', start: T0, end: T0 + 10 * MIN, reason: '取快递' }];
    expect(coveringAnnouncement('h1', a, T0)).not.toBeNull();
    expect(coveringAnnouncement('h1', a, T0 + 10 * MIN - 1)).not.toBeNull();
    expect(coveringAnnouncement('h1', a, T0 + 10 * MIN)).toBeNull();
    expect(coveringAnnouncement('h2', a, T0 + MIN)).toBeNull();
  });
});
