import type { Alert } from '../../alerting/alertModel.ts';
import { timeToAck } from '../../alerting/dailyReport.ts';
import type { GridTree } from '../../registry/gridTree.ts';
import type { GridNode } from '../../registry/schemas.ts';
import type { NodeCounts } from './nodeCounts.ts';

/**
 * What the command room's wall shows (issue 18.4, GET /api/wall), computed from plain values so it
 * is tested without a service: a tile per township, the alerts that wait longest for a person, and
 * how fast people acknowledged today.
 *
 * "Waiting for a person" leaves out maintenance alerts (a low battery is the technician's, on no
 * clock): a battery that ran low three days ago would otherwise sit in the big box above every
 * fresh breach. Time to acknowledge is the daily report's (alerting/dailyReport.ts timeToAck), over
 * the alerts opened since local midnight, so tonight's wall and tomorrow's report agree.
 */

export const TILE_LEVEL = 'township';
/** How many of the longest-waiting alerts the answer lists (the first is the wall's big box). */
export const WAITING_SHOWN = 5;

export interface WallTile {
  id: string;
  name: string;
  level: string;
  /** Alerts no person has acknowledged yet (maintenance left out). */
  unacknowledged: number;
  /** Acknowledged, not yet resolved: someone is on it. */
  acknowledged: number;
  /** Unresolved breach alerts, acknowledged or not. */
  breaches: number;
  offline: number;
  /** Seals on armed households (quarantine, no window now). */
  armed: number;
  /** Armed seals whose door is open now. */
  doorsOpen: number;
}

export interface WallSummary {
  tiles: WallTile[];
  /** Unacknowledged alerts in the scope that wait for a person, longest waiting first. */
  waiting: Alert[];
  unacknowledged: number;
  timeToAck: { count: number; medianMs: number | null; maxMs: number | null };
}

/**
 * The tiles of a wall at `rootId` (null: the whole grid): the townships below it; without any, the
 * root's children (a township's own wall shows its villages); for the whole grid without townships,
 * the children of a single root, or the roots themselves.
 */
export function wallTileNodes(tree: GridTree, rootId: string | null): GridNode[] {
  const below = (n: GridNode) => n.id !== rootId && tree.isWithin(n.id, rootId);
  const townships = tree.all().filter((n) => n.level === TILE_LEVEL && below(n));
  if (townships.length > 0) return byName(townships);
  if (rootId !== null) return byName(tree.childrenOf(rootId));
  const roots = tree.all().filter((n) => n.parentId === null);
  return byName(roots.length === 1 && roots[0] ? tree.childrenOf(roots[0].id) : roots);
}

/** A stable order, so people learn where their township's tile is. */
const byName = (nodes: GridNode[]): GridNode[] =>
  [...nodes].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id));

export function wallSummary(input: {
  tree: GridTree;
  rootId: string | null;
  counts: ReadonlyMap<string, NodeCounts>;
  /** Unresolved alerts (any scope: filtered here). */
  unresolved: readonly Alert[];
  /** Alerts opened since local midnight, resolved ones too (any scope). */
  openedToday: readonly Alert[];
}): WallSummary {
  const { tree, rootId, counts } = input;
  const inScope = (a: Alert) => tree.isWithin(a.gridId, rootId);
  const tiles = wallTileNodes(tree, rootId).map((n): WallTile => {
    const c = counts.get(n.id);
    return {
      id: n.id,
      name: n.name,
      level: n.level,
      unacknowledged: 0,
      acknowledged: 0,
      breaches: 0,
      offline: c?.offline ?? 0,
      armed: c?.sealed ?? 0,
      doorsOpen: c?.open ?? 0,
    };
  });
  const tileOf = new Map(tiles.map((t) => [t.id, t]));
  const waiting: Alert[] = [];
  for (const a of input.unresolved) {
    if (a.status === 'resolved' || !inScope(a)) continue;
    const tile = tree
      .pathToRoot(a.gridId)
      .map((n) => tileOf.get(n.id))
      .find((t) => t !== undefined);
    if (a.type === 'breach' && tile) tile.breaches++;
    if (a.severity === 'maintenance') continue;
    if (a.status === 'acknowledged') {
      if (tile) tile.acknowledged++;
      continue;
    }
    if (tile) tile.unacknowledged++;
    waiting.push(a);
  }
  waiting.sort((x, y) => x.openedAt - y.openedAt || x.id.localeCompare(y.id));
  const { count, medianMs, maxMs } = timeToAck(input.openedToday.filter(inScope));
  return {
    tiles,
    waiting: waiting.slice(0, WAITING_SHOWN),
    unacknowledged: waiting.length,
    timeToAck: { count, medianMs, maxMs },
  };
}
