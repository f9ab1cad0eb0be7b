/**
 * Duty rosters and absences as routing reads them (issue 17.4): the registry's in-memory duty index
 * (registry/duty/dutyIndex.ts) under the routing functions (alerting/routing.ts), with a clock moved
 * by hand through a night shift that crosses midnight in TZ_LOCAL (Asia/Shanghai, UTC+8: local
 * midnight is 16:00 UTC, so the shift spans two UTC days and two local days).
 */
import { describe, expect, it } from 'vitest';
import { localParts } from '../../../alerting/localTime.ts';
import {
  coverFor,
  escalationChain,
  initialRoute,
  MAX_COVER_HOPS,
  OrgChart,
  type Worker,
} from '../../../alerting/routing.ts';
import { ManualClock } from '../../../core/clock.ts';
import { DutyIndex } from '../../../registry/duty/dutyIndex.ts';
import {
  createAbsenceBody,
  createRosterBody,
  newAbsence,
  newRoster,
} from '../../../registry/duty/dutySchemas.ts';

const TZ = 'Asia/Shanghai';
const nodes = [
  { id: 'county', name: '曲沃县', parentId: null },
  { id: 'town', name: '史村镇', parentId: 'county' },
  { id: 'village', name: '东村', parentId: 'town' },
  { id: 'g3', name: '三组', parentId: 'village' },
  { id: 'g4', name: '四组', parentId: 'village' },
];
const workers: Worker[] = [
  { id: 'w-g3', gridId: 'g3', role: 'worker' },
  { id: 'w-g3-b', gridId: 'g3', role: 'worker' },
  { id: 'w-night', gridId: 'town', role: 'worker' },
  { id: 'w-cover', gridId: 'village', role: 'worker' },
  { id: 'l-village', gridId: 'village', role: 'leader' },
  { id: 'l-town', gridId: 'town', role: 'leader' },
  { id: 'l-deputy', gridId: 'town', role: 'worker' },
];
const byId = new Map(workers.map((w) => [w.id, w]));

/** An org chart over a duty index, wired as the registry wires it for alerting. */
function setUp() {
  const duty = new DutyIndex();
  const tree = OrgChart.of(nodes, workers, {
    onDutyAt: (gridId, at) =>
      duty.onDutyAt(tree.pathTo(gridId), at, (id) => byId.has(id)).map((r) => byId.get(r.workerId) as Worker),
    substituteOf: (workerId, at) => {
      const a = duty.absenceAt(workerId, at);
      return a && byId.get(a.substituteId);
    },
  });
  const roster = (gridId: string, workerId: string, start: string, end: string) =>
    duty.putRoster(newRoster(createRosterBody.parse({ gridId, workerId, start, end }), 0));
  const absence = (workerId: string, substituteId: string, start: string, end: string) =>
    duty.putAbsence(newAbsence(createAbsenceBody.parse({ workerId, substituteId, start, end }), 0));
  return { duty, tree, roster, absence };
}

const at = (text: string) => Date.parse(text);
const assigneeAt = (tree: OrgChart, gridId: string, now: number) =>
  initialRoute(tree, { type: 'breach', gridId }, now).assignee?.id;

describe('duty rosters and absences in routing', () => {
  it('a night shift 22:00–06:00 (Asia/Shanghai) on the town: on duty across midnight, not a minute outside', () => {
    const { tree, roster } = setUp();
    roster('town', 'w-night', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    const clock = new ManualClock(at('2026-12-04T21:59:00+08:00'));
    const seen: string[] = [];
    // Every 30 minutes from 21:59 to 06:29 local: the assignee of a breach in 三组 (below the town).
    for (let i = 0; i < 18; i++) {
      const p = localParts(clock.now(), TZ);
      seen.push(
        `${p.day} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} ${assigneeAt(tree, 'g3', clock.now())}`,
      );
      clock.advance(30 * 60_000);
    }
    expect(seen[0]).toBe('4 21:59 w-g3');
    expect(seen[1]).toBe('4 22:29 w-night');
    // Across local midnight (16:00 UTC): still the night shift.
    expect(seen).toContain('5 00:29 w-night');
    expect(seen[16]).toBe('5 05:59 w-night');
    expect(seen[17]).toBe('5 06:29 w-g3');
    // The edges: start inclusive, end exclusive.
    expect(assigneeAt(tree, 'g3', at('2026-12-04T22:00:00+08:00'))).toBe('w-night');
    expect(assigneeAt(tree, 'g3', at('2026-12-04T23:59:59.999+08:00'))).toBe('w-night');
    expect(assigneeAt(tree, 'g3', at('2026-12-05T00:00:00+08:00'))).toBe('w-night');
    expect(assigneeAt(tree, 'g3', at('2026-12-05T06:00:00+08:00'))).toBe('w-g3');
  });

  it('the nearest roster entry on the way to the root wins; the on-duty worker is the only first recipient', () => {
    const { tree, roster } = setUp();
    roster('town', 'w-night', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    roster('village', 'w-cover', '2026-12-04T23:00:00+08:00', '2026-12-05T01:00:00+08:00');
    const midnight = at('2026-12-05T00:00:00+08:00');
    expect(initialRoute(tree, { type: 'breach', gridId: 'g3' }, midnight)).toMatchObject({
      assignee: { id: 'w-cover' },
      recipients: [{ id: 'w-cover' }],
    });
    // Before the village's entry starts, the town's covers the village too.
    expect(assigneeAt(tree, 'g4', at('2026-12-04T22:30:00+08:00'))).toBe('w-night');
    // Without a time (callers that predate rosters), routing is by the tree alone, as before.
    expect(initialRoute(tree, { type: 'breach', gridId: 'g3' }).recipients.map((w) => w.id)).toEqual([
      'w-g3',
      'w-g3-b',
    ]);
  });

  it("an absent worker's alerts go to the substitute; a colleague away too is covered, each listed once", () => {
    const { tree, absence } = setUp();
    absence('w-g3', 'w-cover', '2026-12-04T18:00:00+08:00', '2026-12-05T08:00:00+08:00');
    absence('w-g3-b', 'w-cover', '2026-12-04T23:30:00+08:00', '2026-12-05T00:30:00+08:00');
    const r = initialRoute(tree, { type: 'breach', gridId: 'g3' }, at('2026-12-05T00:00:00+08:00'));
    expect(r.assignee?.id).toBe('w-cover');
    expect(r.recipients.map((w) => w.id)).toEqual(['w-cover']);
    // After the absence ends, the worker's own alerts come back to them.
    expect(assigneeAt(tree, 'g3', at('2026-12-05T08:00:00+08:00'))).toBe('w-g3');
  });

  it('an on-duty worker who is away is covered by their substitute', () => {
    const { tree, roster, absence } = setUp();
    roster('town', 'w-night', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    absence('w-night', 'l-deputy', '2026-12-04T00:00:00+08:00', '2026-12-06T00:00:00+08:00');
    expect(assigneeAt(tree, 'g3', at('2026-12-05T01:00:00+08:00'))).toBe('l-deputy');
  });

  it('a chain of substitutes is followed; a loop stops instead of going round; the walk is bounded', () => {
    const { tree, absence } = setUp();
    const now = at('2026-12-05T00:00:00+08:00');
    const span = ['2026-12-04T00:00:00+08:00', '2026-12-06T00:00:00+08:00'] as const;
    absence('w-g3', 'w-g3-b', ...span);
    absence('w-g3-b', 'w-cover', ...span);
    expect(coverFor(tree, byId.get('w-g3') as Worker, now).id).toBe('w-cover');
    // w-cover away with w-g3 as substitute: a loop back to the start. It ends at the last one not seen.
    absence('w-cover', 'w-g3', ...span);
    expect(coverFor(tree, byId.get('w-g3') as Worker, now).id).toBe('w-cover');
    expect(MAX_COVER_HOPS).toBeGreaterThanOrEqual(3);
  });

  it('escalation follows the tree around the clock; an absent leader is replaced by the substitute', () => {
    const { tree, roster, absence } = setUp();
    roster('village', 'w-cover', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    absence('l-village', 'l-deputy', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    const ids = (when: string) =>
      escalationChain(tree, 'g3', at(when)).map(
        (s) => `${s.nodeId}:${s.recipients.map((w) => w.id).join(',')}`,
      );
    expect(ids('2026-12-05T00:00:00+08:00')).toEqual(['village:l-deputy', 'town:l-town']);
    expect(ids('2026-12-05T06:00:00+08:00')).toEqual(['village:l-village', 'town:l-town']);
  });

  it('an outage goes to the leaders as before, a leader away to the substitute', () => {
    const { tree, roster, absence } = setUp();
    roster('village', 'w-cover', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    absence('l-village', 'l-deputy', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    const r = initialRoute(tree, { type: 'outage', gridId: 'village' }, at('2026-12-05T00:00:00+08:00'));
    expect(r.assignee?.id).toBe('l-deputy');
  });

  it('the bodies refuse an end not after the start, and an absent worker as their own substitute', () => {
    const span = { start: '2026-12-05T06:00:00+08:00', end: '2026-12-04T22:00:00+08:00' };
    expect(createRosterBody.safeParse({ gridId: 'g3', workerId: 'w-g3', ...span }).success).toBe(false);
    const same = { workerId: 'w-g3', substituteId: 'w-g3', start: span.end, end: span.start };
    expect(createAbsenceBody.safeParse(same).error?.issues[0]?.message).toMatch(/someone other/);
    expect(
      createRosterBody.safeParse({ gridId: 'g3', workerId: 'w-g3', start: '22:00', end: '06:00' }).success,
    ).toBe(false);
  });

  it('deleted entries stop counting; an entry naming a worker since deleted leaves the next node its say', () => {
    const { duty, tree, roster } = setUp();
    roster('town', 'w-night', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    roster('village', 'w-gone', '2026-12-04T22:00:00+08:00', '2026-12-05T06:00:00+08:00');
    const midnight = at('2026-12-05T00:00:00+08:00');
    expect(assigneeAt(tree, 'g3', midnight)).toBe('w-night');
    for (const r of duty.allRosters()) duty.removeRoster(r);
    expect(assigneeAt(tree, 'g3', midnight)).toBe('w-g3');
  });
});
