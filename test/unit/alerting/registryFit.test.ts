import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { evaluateMessage } from '../../../alerting/evaluateMessage.ts';
import { OrgChart, responsibleWorker } from '../../../alerting/routing.ts';
import { evaluateOpen } from '../../../alerting/rules/breach.ts';
import { initialSealState } from '../../../core/sealState.ts';
import type { GridNode, Quarantine, Window, Worker } from '../../../registry/schemas.ts';
import { doorMsg, household, T0 } from './fixtures.ts';

/** The engine hands registry rows to the rules as they are: this compiles only while they fit. */
describe('registry rows fit the alerting inputs', () => {
  it('windows, quarantines, grid nodes and workers with nullable fields', () => {
    const windows: Window[] = [
      {
        id: 'w1',
        gridId: 'g-village',
        householdId: null,
        start: T0,
        end: T0 + 1000,
        reason: '核酸',
        by: 'x',
        createdAt: 0,
      },
    ];
    const quarantines: Quarantine[] = [
      { id: 'q1', householdId: 'h1', start: T0 - 1000, end: null, createdAt: 0 },
    ];
    const inWindow = evaluateOpen({
      sensorId: 's1',
      at: T0,
      arming: { household, quarantines, windows, announcements: [] },
      commissioningUntil: null,
      active: null,
      policy: { graceSeconds: 0 },
    });
    expect(inWindow).toMatchObject({ kind: 'logOpen', why: 'window' });
    const nodes: GridNode[] = [
      { id: 'g-village', name: '东村', parentId: null, level: 'village', createdAt: 0 },
    ];
    const workers: Worker[] = [
      {
        id: 'w',
        name: '王',
        gridId: 'g-village',
        role: 'worker',
        email: null,
        phone: null,
        webhook: null,
        chatUserId: null,
        createdAt: 0,
      },
    ];
    expect(responsibleWorker(OrgChart.of(nodes, workers), 'g-village').assignee?.id).toBe('w');
  });

  it('the `before` of a seal.committed event (core SealState) plus two alerting facts', () => {
    const before = { ...initialSealState('s1', T0), lowBatteryNotified: false, commissioningUntil: null };
    const r = evaluateMessage({
      msg: doorMsg('open', T0),
      before,
      household,
      quarantines: [{ householdId: 'h1', start: T0 - 1000, end: null }],
      windows: [],
      announcements: [],
      active: {},
      openCounter: null,
      policy: DEFAULT_POLICY,
      tz: 'Asia/Shanghai',
    });
    expect(r.decisions.map((d) => d.kind)).toEqual(['raise']);
  });
});
