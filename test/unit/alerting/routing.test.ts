import { describe, expect, it } from 'vitest';
import { dueEscalation, escalationSchedule, firstEscalationAt } from '../../../alerting/escalation.ts';
import {
  escalationChain,
  initialRoute,
  OrgChart,
  responsibleWorker,
  type Worker,
} from '../../../alerting/routing.ts';
import { MIN, T0 } from './fixtures.ts';

const nodes = [
  { id: 'county', name: '曲沃县', parentId: null },
  { id: 'town', name: '史村镇', parentId: 'county' },
  { id: 'village', name: '东村', parentId: 'town' },
  { id: 'g3', name: '三组', parentId: 'village' },
  { id: 'g4', name: '四组', parentId: 'village' },
];
const workers: Worker[] = [
  { id: 'w-g3', gridId: 'g3', role: 'worker', email: 'g3@example.org' },
  { id: 'w-village', gridId: 'village', role: 'worker' },
  { id: 'l-village', gridId: 'village', role: 'leader' },
  { id: 'l-county-b', gridId: 'county', role: 'leader' },
  { id: 'l-county-a', gridId: 'county', role: 'leader' },
  { id: 'tech-town', gridId: 'town', role: 'technician' },
];
const tree = OrgChart.of(nodes, workers);

describe('routing', () => {
  it('the grid path reads root first', () => {
    expect(tree.pathNames('g3').join(' / ')).toBe('曲沃县 / 史村镇 / 东村 / 三组');
  });

  it('the worker at the household’s node is responsible', () => {
    expect(responsibleWorker(tree, 'g3').assignee?.id).toBe('w-g3');
  });

  it('a leaf without a worker falls back to the nearest worker up the tree', () => {
    const r = responsibleWorker(tree, 'g4');
    expect(r.assignee?.id).toBe('w-village');
    expect(r.nodeId).toBe('village');
  });

  it('with no worker anywhere, nobody is assigned but the nearest leaders are told', () => {
    const t = OrgChart.of(
      nodes,
      workers.filter((w) => w.role !== 'worker'),
    );
    const r = responsibleWorker(t, 'g4');
    expect(r.assignee).toBeNull();
    expect(r.recipients.map((w) => w.id)).toEqual(['l-village']);
  });

  it('escalation chain: nearest ancestors with leaders, skipping those without, up to the root', () => {
    const chain = escalationChain(tree, 'g3');
    expect(chain.map((s) => [s.level, s.nodeId, s.recipients.map((w) => w.id)])).toEqual([
      [1, 'village', ['l-village']],
      [2, 'county', ['l-county-a', 'l-county-b']],
    ]);
    expect(escalationChain(tree, 'county')).toEqual([]);
  });

  it('outages go to the node’s leaders and the technicians; low battery to technicians', () => {
    expect(initialRoute(tree, { type: 'outage', gridId: 'village' }).recipients.map((w) => w.id)).toEqual([
      'l-village',
      'tech-town',
    ]);
    expect(initialRoute(tree, { type: 'lowBattery', gridId: 'g3' }).recipients.map((w) => w.id)).toEqual([
      'tech-town',
    ]);
    expect(initialRoute(tree, { type: 'breach', gridId: 'g3' }).assignee?.id).toBe('w-g3');
  });

  it('a cycle in bad data does not hang the walk', () => {
    const t = OrgChart.of([
      { id: 'a', name: 'A', parentId: 'b' },
      { id: 'b', name: 'B', parentId: 'a' },
    ]);
    expect(t.pathTo('a')).toEqual(['b', 'a']);
  });
});

describe('escalation schedule (steps cumulative from opening)', () => {
  const steps = [5 * MIN, 15 * MIN, 30 * MIN];
  it('configured steps, then the last spacing to the root', () => {
    expect(escalationSchedule(T0, steps, 5).map((d) => (d - T0) / MIN)).toEqual([5, 15, 30, 45, 60]);
    expect(escalationSchedule(T0, steps, 2).map((d) => (d - T0) / MIN)).toEqual([5, 15]);
    expect(escalationSchedule(T0, [10 * MIN], 3).map((d) => (d - T0) / MIN)).toEqual([10, 20, 30]);
  });

  it('rejects steps that are not strictly increasing', () => {
    expect(() => escalationSchedule(T0, [5 * MIN, 5 * MIN])).toThrow(RangeError);
    expect(() => escalationSchedule(T0, [0])).toThrow(RangeError);
  });

  const chain = escalationChain(tree, 'g3');
  it.each([
    ['before the first deadline', { status: 'open', escalationLevel: 0 }, 5 * MIN - 1, null],
    [
      'exactly at the first deadline',
      { status: 'open', escalationLevel: 0 },
      5 * MIN,
      { level: 1, nodes: ['village'], next: 15 },
    ],
    [
      'after a restart, two deadlines passed',
      { status: 'open', escalationLevel: 0 },
      20 * MIN,
      { level: 2, nodes: ['village', 'county'], next: null },
    ],
    ['acknowledged stops escalation', { status: 'acknowledged', escalationLevel: 0 }, 20 * MIN, null],
    ['top of the chain', { status: 'open', escalationLevel: 2 }, 90 * MIN, null],
  ] as const)('%s', (_n, alert, dt, expected) => {
    const d = dueEscalation({ ...alert, openedAt: T0 }, chain, steps, T0 + dt);
    if (expected === null) expect(d).toBeNull();
    else {
      expect(d?.level).toBe(expected.level);
      expect(d?.steps.map((s) => s.nodeId)).toEqual(expected.nodes);
      expect(d?.nextEscalationAt === null ? null : ((d?.nextEscalationAt ?? 0) - T0) / MIN).toBe(
        expected.next,
      );
    }
  });

  it('first deadline, or none when nobody is above', () => {
    expect(firstEscalationAt(T0, 2, steps)).toBe(T0 + 5 * MIN);
    expect(firstEscalationAt(T0, 0, steps)).toBeNull();
  });
});
