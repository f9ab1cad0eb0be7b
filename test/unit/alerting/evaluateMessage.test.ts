import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type SealState } from '../../../alerting/alertModel.ts';
import { evaluateMessage, type MessageContext } from '../../../alerting/evaluateMessage.ts';
import { doorTransition } from '../../../alerting/rules/doorTransition.ts';
import { arming, doorMsg, HOUR, heartbeat, household, MIN, seal, T0 } from './fixtures.ts';

function ctx(over: Partial<MessageContext> & Pick<MessageContext, 'msg'>): MessageContext {
  const a = arming();
  return {
    before: seal(),
    household,
    quarantines: a.quarantines,
    windows: [],
    announcements: [],
    active: {},
    openCounter: null,
    policy: DEFAULT_POLICY,
    tz: 'Asia/Shanghai',
    ...over,
  };
}

describe('doorTransition: duplicates and out-of-order delivery', () => {
  const before: Pick<SealState, 'door' | 'lastDoorChange'> = { door: 'closed', lastDoorChange: T0 };
  it.each([
    ['open newer than the last change', doorMsg('open', T0 + 1), 'opened'],
    ['open older than the last change (late redelivery)', doorMsg('open', T0 - 1), 'stale'],
    ['close at the same ts and state (duplicate)', doorMsg('closed', T0), 'duplicate'],
    ['close while already closed', doorMsg('closed', T0 + 5), 'none'],
    ['heartbeat saying open (lost event)', heartbeat(T0 + 5, { door: 'open' }), 'opened'],
    ['heartbeat older than the last change saying open', heartbeat(T0 - 5, { door: 'open' }), 'stale'],
    ['heartbeat without door', heartbeat(T0 + 5, { door: null }), 'none'],
  ])('%s → %s', (_n, msg, kind) => {
    expect(doorTransition(before, msg).kind).toBe(kind);
  });

  it('open event while state is open is a new opening (the close was lost); an open heartbeat is not', () => {
    const open = { door: 'open' as const, lastDoorChange: T0 };
    expect(doorTransition(open, doorMsg('open', T0 + MIN)).kind).toBe('opened');
    expect(doorTransition(open, heartbeat(T0 + MIN, { door: 'open' })).kind).toBe('none');
    expect(doorTransition(open, doorMsg('open', T0)).kind).toBe('duplicate');
  });
});

describe('evaluateMessage', () => {
  it('an armed open raises one critical breach and counts the open', () => {
    const r = evaluateMessage(ctx({ msg: doorMsg('open', T0) }));
    expect(r.decisions.map((d) => d.kind)).toEqual(['raise']);
    expect(r.openCounter).toEqual({ dayKey: '2026-01-10', count: 1 });
  });

  it('a stale open (older than the last door change) raises nothing and counts nothing', () => {
    const before = seal({ door: 'closed', lastDoorChange: T0 });
    const r = evaluateMessage(ctx({ before, msg: doorMsg('open', T0 - 30_000) }));
    expect(r.transition.kind).toBe('stale');
    expect(r.decisions).toEqual([]);
    expect(r.openCounter).toBeNull();
  });

  it('the same open delivered twice raises once: the second is a duplicate of the state it produced', () => {
    const msg = doorMsg('open', T0);
    const first = evaluateMessage(ctx({ msg }));
    const afterFirst = seal({ door: 'open', lastDoorChange: T0 });
    const second = evaluateMessage(
      ctx({
        before: afterFirst,
        msg,
        active: { breach: { id: 'a1', status: 'open', count: 1 } },
        openCounter: first.openCounter,
      }),
    );
    expect(second.transition.kind).toBe('duplicate');
    expect(second.decisions).toEqual([]);
    expect(second.openCounter).toEqual(first.openCounter);
  });

  it('a further open while the breach is unresolved is appended, not a new alert', () => {
    const before = seal({ door: 'closed', lastDoorChange: T0 + MIN });
    const r = evaluateMessage(
      ctx({
        before,
        msg: doorMsg('open', T0 + 2 * MIN),
        active: { breach: { id: 'a1', status: 'acknowledged', count: 1 } },
      }),
    );
    expect(r.decisions).toEqual([
      { kind: 'append', alertId: 'a1', at: T0 + 2 * MIN, detail: { cause: 'open' } },
    ]);
  });

  it('commissioning: no breach, no tamper, no low battery, no counting; offline still resolves', () => {
    const before = seal({ commissioningUntil: T0 + 30 * MIN });
    for (const msg of [
      doorMsg('open', T0),
      { kind: 'tamper', sensorId: 's1', dialect: 'native', ts: T0, receivedAt: T0, seq: 2 } as const,
      heartbeat(T0, { battery: 5 }),
    ]) {
      const r = evaluateMessage(ctx({ before, msg }));
      expect(r.decisions).toEqual([]);
      expect(r.openCounter).toBeNull();
    }
    const back = evaluateMessage(
      ctx({ before, msg: heartbeat(T0), active: { offline: { id: 'o1', status: 'open', count: 1 } } }),
    );
    expect(back.decisions).toEqual([
      { kind: 'resolve', alertId: 'o1', at: T0, reason: 'backOnline', detail: {} },
    ]);
  });

  it('announced openings are logged, counted, and the sixth of the day is an openCount alert', () => {
    const announcements = [{ householdId: 'h1', start: T0 - HOUR, end: T0 + 10 * HOUR, reason: '就医' }];
    let counter = null as MessageContext['openCounter'];
    let last: ReturnType<typeof evaluateMessage> | undefined;
    for (let i = 0; i < 6; i++) {
      const before = seal({ door: 'closed', lastDoorChange: T0 + i * 10 * MIN - 1 });
      last = evaluateMessage(
        ctx({ before, msg: doorMsg('open', T0 + i * 10 * MIN), announcements, openCounter: counter }),
      );
      counter = last.openCounter;
      if (i < 5) expect(last.decisions.map((d) => d.kind)).toEqual(['logOpen']);
    }
    expect(counter).toEqual({ dayKey: '2026-01-10', count: 6 });
    expect(last?.decisions.map((d) => d.kind)).toEqual(['logOpen', 'raise']);
    expect(last?.decisions[1]).toMatchObject({
      alert: {
        type: 'openCount',
        severity: 'warning',
        householdId: 'h1',
        detail: { opensToday: 6, limit: 5 },
      },
    });
  });

  it('opens inside an authorized window do not count toward the daily limit', () => {
    const windows = [{ gridId: 'g-village', start: T0 - HOUR, end: T0 + HOUR, reason: '核酸', by: 'x' }];
    const r = evaluateMessage(
      ctx({ msg: doorMsg('open', T0), windows, openCounter: { dayKey: '2026-01-10', count: 5 } }),
    );
    expect(r.decisions.map((d) => d.kind)).toEqual(['logOpen']);
    expect(r.openCounter).toEqual({ dayKey: '2026-01-10', count: 5 });
  });

  it('tamper: a native event raises critical; a heartbeat flag only on its rising edge', () => {
    const tamper = {
      kind: 'tamper',
      sensorId: 's1',
      dialect: 'native',
      ts: T0,
      receivedAt: T0,
      seq: 3,
    } as const;
    expect(evaluateMessage(ctx({ msg: tamper })).decisions[0]).toMatchObject({
      kind: 'raise',
      alert: { type: 'tamper', severity: 'critical' },
    });
    expect(
      evaluateMessage(ctx({ msg: tamper, active: { tamper: { id: 't1', status: 'open', count: 1 } } }))
        .decisions[0],
    ).toMatchObject({ kind: 'append', alertId: 't1' });
    const hb = heartbeat(T0, { tamper: true });
    expect(evaluateMessage(ctx({ msg: hb })).decisions.map((d) => d.kind)).toEqual(['raise']);
    expect(evaluateMessage(ctx({ before: seal({ tamper: true }), msg: hb })).decisions).toEqual([]);
    expect(evaluateMessage(ctx({ msg: tamper, quarantines: [] })).decisions).toEqual([]);
  });

  it('a sensor not bound to a household only resolves its offline alert', () => {
    const r = evaluateMessage(
      ctx({
        household: null,
        msg: doorMsg('open', T0),
        active: { offline: { id: 'o1', status: 'open', count: 1 } },
      }),
    );
    expect(r.decisions.map((d) => d.kind)).toEqual(['resolve']);
  });
});
