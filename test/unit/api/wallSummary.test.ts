import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerting/alertModel.ts';
import type { NodeCounts } from '../../../api/live/nodeCounts.ts';
import { wallSummary, wallTileNodes } from '../../../api/live/wallSummary.ts';
import { GridTree } from '../../../registry/gridTree.ts';

/** What the command room's wall shows, from plain values: tiles, who waits longest, time to acknowledge. */

const node = (id: string, name: string, parentId: string | null, level: string) => ({
  id,
  name,
  parentId,
  level,
  createdAt: 0,
});

function county(): GridTree {
  const t = new GridTree();
  t.add(node('county', '曲沃县', null, 'county'));
  t.add(node('shicun', '史村镇', 'county', 'township'));
  t.add(node('lechang', '乐昌镇', 'county', 'township'));
  t.add(node('dongcun', '东村', 'shicun', 'village'));
  t.add(node('xicun', '西村', 'lechang', 'village'));
  t.add(node('beicun', '北村', 'lechang', 'village'));
  return t;
}

const MIN = 60_000;
let n = 0;
const alert = (gridId: string, openedAt: number, extra: Partial<Alert> = {}): Alert => ({
  id: `a${++n}`,
  type: 'breach',
  gridId,
  severity: 'critical',
  status: 'open',
  assignee: null,
  openedAt,
  count: 1,
  escalationLevel: 0,
  ...extra,
});
const counts = (entries: Record<string, Partial<NodeCounts>>) =>
  new Map(
    Object.entries(entries).map(([id, c]) => [
      id,
      { households: 0, sealed: 0, open: 0, offline: 0, lowBattery: 0, alerts: {}, ...c },
    ]),
  );

describe('wall tiles', () => {
  it('are the townships below the root, in name order; without townships, the root’s children', () => {
    const t = county();
    expect(wallTileNodes(t, null).map((x) => x.id)).toEqual(['lechang', 'shicun']);
    expect(wallTileNodes(t, 'county').map((x) => x.id)).toEqual(['lechang', 'shicun']);
    // A township's own wall: its villages (it is no township "below" itself).
    expect(wallTileNodes(t, 'lechang').map((x) => x.id)).toEqual(['beicun', 'xicun']);
    const flat = new GridTree();
    flat.add(node('district', '城区', null, 'district'));
    flat.add(node('street', '东街道', 'district', 'street'));
    expect(wallTileNodes(flat, null).map((x) => x.id)).toEqual(['street']);
  });
});

describe('wall summary', () => {
  const now = 10 * 60 * MIN;

  it('counts each tile’s subtree, and puts the longest-waiting person’s alert first, maintenance left out', () => {
    const breach = alert('dongcun', now - 9 * MIN);
    const offline = alert('xicun', now - 4 * MIN, { type: 'offline', severity: 'warning' });
    const battery = alert('xicun', now - 600 * MIN, { type: 'lowBattery', severity: 'maintenance' });
    const inHand = alert('beicun', now - 20 * MIN, { status: 'acknowledged', ackedAt: now - 18 * MIN });
    const wall = wallSummary({
      tree: county(),
      rootId: null,
      counts: counts({ shicun: { sealed: 3, open: 1 }, lechang: { sealed: 5, offline: 2 } }),
      unresolved: [offline, battery, breach, inHand],
      openedToday: [],
    });
    expect(wall.waiting.map((a) => a.id)).toEqual([breach.id, offline.id]);
    expect(wall.unacknowledged).toBe(2);
    expect(wall.tiles).toEqual([
      {
        id: 'lechang',
        name: '乐昌镇',
        level: 'township',
        unacknowledged: 1,
        acknowledged: 1,
        breaches: 1,
        offline: 2,
        armed: 5,
        doorsOpen: 0,
      },
      {
        id: 'shicun',
        name: '史村镇',
        level: 'township',
        unacknowledged: 1,
        acknowledged: 0,
        breaches: 1,
        offline: 0,
        armed: 3,
        doorsOpen: 1,
      },
    ]);
  });

  it('keeps to its scope: alerts of other townships are neither counted nor shown', () => {
    const wall = wallSummary({
      tree: county(),
      rootId: 'lechang',
      counts: counts({}),
      unresolved: [alert('dongcun', now - 9 * MIN), alert('xicun', now - MIN)],
      openedToday: [alert('dongcun', now - 30 * MIN, { ackedAt: now - 29 * MIN })],
    });
    expect(wall.waiting.map((a) => a.gridId)).toEqual(['xicun']);
    expect(wall.timeToAck).toEqual({ count: 0, medianMs: null, maxMs: null });
  });

  it('measures time to acknowledge as the daily report does: people’s acknowledgements, median and worst', () => {
    const opened = now - 60 * MIN;
    const wall = wallSummary({
      tree: county(),
      rootId: null,
      counts: counts({}),
      unresolved: [],
      openedToday: [
        alert('dongcun', opened, { status: 'acknowledged', ackedAt: opened + 2 * MIN }),
        alert('xicun', opened, { status: 'resolved', ackedAt: opened + MIN, resolvedAt: opened + 9 * MIN }),
        // Resolved by a person without a separate acknowledgement: that was the acknowledgement.
        alert('beicun', opened, { status: 'resolved', resolvedAt: opened + 12 * MIN, outcome: 'visited' }),
        // Closed by the service itself (the door closed), and a maintenance alert: nobody was asked.
        alert('beicun', opened, {
          status: 'resolved',
          resolvedAt: opened + 30 * MIN,
          autoResolveReason: 'doorClosed',
        }),
        alert('beicun', opened, { severity: 'maintenance', type: 'lowBattery', ackedAt: opened + 90 * MIN }),
        // Still waiting: not a time to acknowledge yet (the big box shows it).
        alert('dongcun', opened),
      ],
    });
    expect(wall.timeToAck).toEqual({ count: 3, medianMs: 2 * MIN, maxMs: 12 * MIN });
  });
});
