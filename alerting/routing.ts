/**
 * Who gets an alert. The grid tree is data (any depth); everything here is a pure function of the
 * nodes and workers handed in.
 */
import { GridTree, type TreeNode } from '../registry/gridTree.ts';

export type GridNode = TreeNode & { level?: string | undefined };

/** `technician` is optional: maintenance and outage alerts also go to technicians when any are listed. */
export type WorkerRole = 'worker' | 'leader' | 'technician';

/** Structurally a registry worker row fits (nullable contacts). */
export interface Worker {
  id: string;
  name?: string | null | undefined;
  gridId: string;
  role: WorkerRole;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  webhook?: string | null | undefined;
  /** The worker's user id in its robot's chat app, for @-mentions (notifiers/robotMentions.ts). */
  chatUserId?: string | null | undefined;
}

/**
 * Duty rosters and absences (registry/duty/), as routing asks about them: who is on duty for a
 * node at a moment (the workers of the nearest roster entries on its way to the root whose span
 * covers it; empty: nobody rostered), and who covers for a worker away at that moment (one step:
 * `coverFor` follows the chain).
 */
export interface DutyLookup {
  onDutyAt(gridId: string, at: number): readonly Worker[];
  substituteOf(workerId: string, at: number): Worker | undefined;
}

/** A source that may lack either lookup (a registry without rosters): nobody rostered, nobody away. */
export function dutyLookupOf(source: Partial<DutyLookup>): DutyLookup {
  return {
    onDutyAt: (gridId, at) => source.onDutyAt?.(gridId, at) ?? [],
    substituteOf: (workerId, at) => source.substituteOf?.(workerId, at),
  };
}

const NO_DUTY: DutyLookup = dutyLookupOf({});

/**
 * The grid tree (registry/gridTree.ts, the one tree of the project) with who works where and who
 * is on duty. The service passes the registry's live tree, `registry.workersAt` and the registry's
 * rosters and absences; tests build one from plain rows.
 */
export class OrgChart {
  constructor(
    readonly tree: GridTree<TreeNode>,
    private readonly workersAtNode: (nodeId: string) => readonly Worker[],
    readonly duty: DutyLookup = NO_DUTY,
  ) {}

  static of(nodes: readonly GridNode[], workers: readonly Worker[] = [], duty?: DutyLookup): OrgChart {
    const tree = new GridTree<TreeNode>();
    for (const n of nodes) tree.add(n);
    const byNode = new Map<string, Worker[]>();
    for (const w of workers) {
      const list = byNode.get(w.gridId) ?? [];
      list.push(w);
      byNode.set(w.gridId, list);
    }
    return new OrgChart(tree, (id) => byNode.get(id) ?? [], duty);
  }

  node(id: string): TreeNode | undefined {
    return this.tree.get(id);
  }

  /** Ids from the root down to `id` (inclusive); empty for an unknown node. */
  pathTo(id: string): string[] {
    return this.tree.pathIds(id);
  }

  /** Names along the path, e.g. `曲沃县 / 史村镇 / 东村 / 三组`. */
  pathNames(id: string): string[] {
    return this.tree.pathNames(id);
  }

  /** True when `id` is `rootId` or below it. */
  isInSubtree(id: string, rootId: string): boolean {
    return this.tree.isWithin(id, rootId);
  }

  /** Workers of `role` at the node, by id (a stable order: the first is the assignee). */
  workers(nodeId: string, role: WorkerRole): Worker[] {
    return this.workersAtNode(nodeId)
      .filter((w) => w.role === role)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

export interface Responsible {
  /** The assignee: first worker (by id) at the nearest node having workers; null if none up to the root. */
  assignee: Worker | null;
  /** Everyone notified first: all workers at that node (or, with no worker anywhere, the nearest leaders). */
  recipients: Worker[];
  /** Node where the workers were found. */
  nodeId: string | null;
}

/** Nearest node at or above `gridId` that has workers of `role`. */
function nearestWith(
  tree: OrgChart,
  gridId: string,
  role: WorkerRole,
): { nodeId: string; workers: Worker[] } | null {
  const path = tree.pathTo(gridId);
  for (let i = path.length - 1; i >= 0; i--) {
    const id = path[i]!;
    const ws = tree.workers(id, role);
    if (ws.length > 0) return { nodeId: id, workers: ws };
  }
  return null;
}

/** The household's responsible grid worker: a `worker` at its node, else the nearest up the tree. */
export function responsibleWorker(tree: OrgChart, gridId: string): Responsible {
  const found = nearestWith(tree, gridId, 'worker');
  if (found) return { assignee: found.workers[0] ?? null, recipients: found.workers, nodeId: found.nodeId };
  // Nobody assigned: the nearest leaders (at the node or above) are told at once rather than no one.
  const leaders = nearestWith(tree, gridId, 'leader');
  return { assignee: null, recipients: leaders?.workers ?? [], nodeId: leaders?.nodeId ?? null };
}

/**
 * How many substitutes deep `coverFor` looks: A away → B, B away too → C, … A longer chain is a
 * planning mistake; stopping bounds the walk and still reaches someone.
 */
export const MAX_COVER_HOPS = 5;

/**
 * Who takes `worker`'s alerts at `at`: the worker, or, when away, the substitute, or theirs when
 * they are away too (at most MAX_COVER_HOPS). A loop (A covers B, B covers A, both away) stops at
 * the last worker not yet seen rather than going round.
 */
export function coverFor(tree: OrgChart, worker: Worker, at: number): Worker {
  let current = worker;
  const seen = new Set([worker.id]);
  for (let hop = 0; hop < MAX_COVER_HOPS; hop++) {
    const sub = tree.duty.substituteOf(current.id, at);
    if (!sub || seen.has(sub.id)) break;
    seen.add(sub.id);
    current = sub;
  }
  return current;
}

/** Each worker replaced by whoever covers for them at `at`; someone covering for two is listed once. */
const covered = (tree: OrgChart, ws: readonly Worker[], at: number): Worker[] =>
  dedupe(ws.map((w) => coverFor(tree, w, at)));

export interface EscalationStep {
  /** 1 = first step up. */
  level: number;
  nodeId: string;
  recipients: Worker[];
}

/**
 * The escalation chain above `gridId`: step 1 goes to the leaders of the nearest *strict* ancestor
 * that has leaders (the parent, or above it when the parent has none), step 2 to the next such
 * ancestor above that, and so on up to the root. Nodes without leaders are skipped, so every step
 * reaches someone. For an outage at node N, pass N: its own leaders are the first recipients
 * (`leadersAt`), the chain starts above it. With `at`, a leader away then is replaced by their
 * substitute (rosters do not change the chain: it follows the tree around the clock).
 */
export function escalationChain(tree: OrgChart, gridId: string, at?: number): EscalationStep[] {
  const path = tree.pathTo(gridId);
  const steps: EscalationStep[] = [];
  for (let i = path.length - 2; i >= 0; i--) {
    const id = path[i]!;
    const leaders = tree.workers(id, 'leader');
    if (leaders.length === 0) continue;
    const recipients = at === undefined ? leaders : covered(tree, leaders, at);
    steps.push({ level: steps.length + 1, nodeId: id, recipients });
  }
  return steps;
}

/** Leaders at `gridId` or, if none there, at the nearest node above that has some. */
export function leadersAt(tree: OrgChart, gridId: string): Worker[] {
  return nearestWith(tree, gridId, 'leader')?.workers ?? [];
}

export function techniciansFor(tree: OrgChart, gridId: string): Worker[] {
  return nearestWith(tree, gridId, 'technician')?.workers ?? [];
}

/**
 * First recipients by alert type: household alerts → the responsible worker; outage → the node's
 * leaders and the technicians; lowBattery (maintenance) → technicians when listed, else the
 * responsible worker. Maintenance alerts do not escalate (see `escalates`).
 *
 * With `at` (the engine passes the moment it raises the alert), rosters and absences count: for a
 * household alert the workers on duty for its node then are the assignee (the first) and the only
 * first recipients, in place of the responsible worker and their colleagues; and anyone away then,
 * whoever they are, is replaced by their substitute.
 */
export function initialRoute(
  tree: OrgChart,
  alert: { type: string; gridId: string },
  at?: number,
): { assignee: Worker | null; recipients: Worker[] } {
  const route = plainRoute(tree, alert, at);
  if (at === undefined) return route;
  const recipients = covered(tree, route.recipients, at);
  return { assignee: route.assignee && coverFor(tree, route.assignee, at), recipients };
}

/** `initialRoute` before absences: by the tree, or, for household alerts at `at`, by the roster. */
function plainRoute(
  tree: OrgChart,
  alert: { type: string; gridId: string },
  at: number | undefined,
): { assignee: Worker | null; recipients: Worker[] } {
  if (alert.type === 'outage') {
    const leaders = leadersAt(tree, alert.gridId);
    const techs = techniciansFor(tree, alert.gridId);
    return { assignee: leaders[0] ?? null, recipients: dedupe([...leaders, ...techs]) };
  }
  if (alert.type === 'lowBattery') {
    const techs = techniciansFor(tree, alert.gridId);
    if (techs.length > 0) return { assignee: techs[0] ?? null, recipients: techs };
  }
  const onDuty = at === undefined ? [] : tree.duty.onDutyAt(alert.gridId, at);
  if (onDuty.length > 0) return { assignee: onDuty[0] ?? null, recipients: [...onDuty] };
  const r = responsibleWorker(tree, alert.gridId);
  return { assignee: r.assignee, recipients: r.recipients };
}

export function escalates(severity: string): boolean {
  return severity !== 'maintenance';
}

function dedupe(ws: Worker[]): Worker[] {
  const seen = new Set<string>();
  return ws.filter((w) => {
    if (seen.has(w.id)) return false;
    seen.add(w.id);
    return true;
  });
}
