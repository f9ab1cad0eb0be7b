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
 * The grid tree (registry/gridTree.ts, the one tree of the project) with who works where. The
 * service passes the registry's live tree and `registry.workersAt`; tests build one from plain rows.
 */
export class OrgChart {
  constructor(
    readonly tree: GridTree<TreeNode>,
    private readonly workersAtNode: (nodeId: string) => readonly Worker[],
  ) {}

  static of(nodes: readonly GridNode[], workers: readonly Worker[] = []): OrgChart {
    const tree = new GridTree<TreeNode>();
    for (const n of nodes) tree.add(n);
    const byNode = new Map<string, Worker[]>();
    for (const w of workers) {
      const list = byNode.get(w.gridId) ?? [];
      list.push(w);
      byNode.set(w.gridId, list);
    }
    return new OrgChart(tree, (id) => byNode.get(id) ?? []);
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
 * (`leadersAt`), the chain starts above it.
 */
export function escalationChain(tree: OrgChart, gridId: string): EscalationStep[] {
  const path = tree.pathTo(gridId);
  const steps: EscalationStep[] = [];
  for (let i = path.length - 2; i >= 0; i--) {
    const id = path[i]!;
    const leaders = tree.workers(id, 'leader');
    if (leaders.length > 0) steps.push({ level: steps.length + 1, nodeId: id, recipients: leaders });
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
 */
export function initialRoute(
  tree: OrgChart,
  alert: { type: string; gridId: string },
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
