import { describe, expect, it } from 'vitest';
import {
  closedDoorLeftOpen,
  type DoorLeftOpenInput,
  doorLeftOpenDueAt,
  evaluateDoorLeftOpen,
} from '../../../alerting/rules/doorLeftOpen.ts';
import { HOUR, household, MIN, T0 } from './fixtures.ts';

/** The door opened at T0 inside an announcement [T0 - 5 min, T0 + 5 min); the limit is 10 min. */
function input(over: Partial<DoorLeftOpenInput> = {}): DoorLeftOpenInput {
  return {
    sensorId: 's1',
    household,
    door: 'open',
    openSince: T0,
    commissioningUntil: null,
    quarantines: [{ householdId: 'h1', start: T0 - 24 * HOUR, end: null }],
    windows: [],
    announcements: [{ householdId: 'h1', start: T0 - 5 * MIN, end: T0 + 5 * MIN, reason: '送餐' }],
    active: null,
    policy: { doorOpenLimitMs: 10 * MIN },
    now: T0 + 15 * MIN,
    ...over,
  };
}

describe('door left open too long', () => {
  it('raises once the limit after the announcement ran out, dated at the deadline', () => {
    expect(doorLeftOpenDueAt(input())).toBe(T0 + 15 * MIN);
    expect(evaluateDoorLeftOpen(input({ now: T0 + 15 * MIN - 1 }))).toBeNull();
    expect(evaluateDoorLeftOpen(input({ now: T0 + 20 * MIN }))).toEqual({
      kind: 'raise',
      alert: {
        type: 'doorLeftOpen',
        severity: 'warning',
        sensorId: 's1',
        householdId: 'h1',
        gridId: 'g-group3',
        openedAt: T0 + 15 * MIN,
        detail: { doorOpenSince: T0, allowedUntil: T0 + 5 * MIN, limitMs: 10 * MIN },
      },
    });
  });

  it('nothing while the announcement still covers now, or with the alert already open', () => {
    expect(evaluateDoorLeftOpen(input({ now: T0 + 4 * MIN }))).toBeNull();
    // Already known then, so the sweep can wake for it.
    expect(doorLeftOpenDueAt(input({ now: T0 + 4 * MIN }))).toBe(T0 + 15 * MIN);
    expect(evaluateDoorLeftOpen(input({ active: { id: 'a1', status: 'open', count: 1 } }))).toBeNull();
  });

  it('an opening nobody allowed is the breach rule’s, not this one', () => {
    expect(evaluateDoorLeftOpen(input({ announcements: [] }))).toBeNull();
    // An announcement that ended before the door opened allowed nothing of this opening.
    const before = [{ householdId: 'h1', start: T0 - 20 * MIN, end: T0 - 10 * MIN, reason: 'x' }];
    expect(evaluateDoorLeftOpen(input({ announcements: before }))).toBeNull();
    // Another household's announcement allows nothing here.
    const other = [{ householdId: 'h2', start: T0 - 5 * MIN, end: T0 + 5 * MIN, reason: 'x' }];
    expect(evaluateDoorLeftOpen(input({ announcements: other }))).toBeNull();
  });

  it('counts from the last allowance that covered the opening: a later announcement moves the deadline', () => {
    const two = [
      { householdId: 'h1', start: T0 - 5 * MIN, end: T0 + 5 * MIN, reason: 'a' },
      { householdId: 'h1', start: T0 + 12 * MIN, end: T0 + 22 * MIN, reason: 'b' },
    ];
    expect(evaluateDoorLeftOpen(input({ announcements: two, now: T0 + 20 * MIN }))).toBeNull();
    expect(doorLeftOpenDueAt(input({ announcements: two, now: T0 + 25 * MIN }))).toBe(T0 + 32 * MIN);
    // An announcement made for later (not started yet) does not count now.
    const future = [two[0]!, { householdId: 'h1', start: T0 + 30 * MIN, end: T0 + 40 * MIN, reason: 'c' }];
    expect(doorLeftOpenDueAt(input({ announcements: future }))).toBe(T0 + 15 * MIN);
  });

  it('an authorized window that applies to the household (its node or an ancestor) allows too', () => {
    const window = { gridId: 'g-village', start: T0 - HOUR, end: T0 + 5 * MIN, reason: '核酸', by: 'w1' };
    const d = evaluateDoorLeftOpen(input({ announcements: [], windows: [window] }));
    expect(d).toMatchObject({ kind: 'raise', alert: { openedAt: T0 + 15 * MIN } });
    const elsewhere = { ...window, gridId: 'g-other-village' };
    expect(evaluateDoorLeftOpen(input({ announcements: [], windows: [elsewhere] }))).toBeNull();
  });

  it('not armed (quarantine over), in commissioning, or the door closed: nothing', () => {
    expect(
      evaluateDoorLeftOpen(input({ quarantines: [{ householdId: 'h1', start: T0 - HOUR, end: T0 }] })),
    ).toBeNull();
    expect(evaluateDoorLeftOpen(input({ commissioningUntil: T0 + HOUR }))).toBeNull();
    expect(evaluateDoorLeftOpen(input({ door: 'closed' }))).toBeNull();
    expect(evaluateDoorLeftOpen(input({ openSince: null }))).toBeNull();
  });

  it('a close resolves the open alert; an opening or nothing new does not', () => {
    const active = { id: 'a1', status: 'open' as const, count: 1 };
    expect(closedDoorLeftOpen({ kind: 'closed', at: T0, via: 'event' }, active)).toEqual({
      kind: 'resolve',
      alertId: 'a1',
      at: T0,
      reason: 'doorClosed',
      detail: { closedAt: T0 },
    });
    expect(closedDoorLeftOpen({ kind: 'closed', at: T0, via: 'heartbeat' }, null)).toBeNull();
    expect(closedDoorLeftOpen({ kind: 'opened', at: T0, via: 'event' }, active)).toBeNull();
    expect(closedDoorLeftOpen({ kind: 'none' }, active)).toBeNull();
  });
});
