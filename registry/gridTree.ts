import type { GridNode } from './schemas.ts';

/** What the tree needs of a node; registry rows (GridNode) are the default. */
export type TreeNode = Pick<GridNode, 'id' | 'name' | 'parentId'>;

/**
 * The grid hierarchy in memory. Levels are data: any depth. Ancestor chains
 * are computed on demand (trees are shallow: five or six levels). The one
 * grid tree of the project: alerting's routing and reports use it too.
 */
export class GridTree<N extends TreeNode = GridNode> {
  private readonly nodes = new Map<string, N>();
  private readonly children = new Map<string, Set<string>>();
  private changes = 0;
  /** Cycles already reported (their sorted ids), so a stored cycle is logged once, not per walk. */
  private readonly reported = new Set<string>();
  /**
   * Told once per cycle found in stored data (the ids on it). The API and imports refuse cycles;
   * this is for one already in a database (an older version, a hand edit): walks stop at the link
   * that closes it, as if that link were broken, and the composition root logs it.
   */
  onCycle: (ids: string[]) => void = () => {};

  /** Grows with every change to the tree's shape, so callers can cache what depends on it. */
  get version(): number {
    return this.changes;
  }

  add(node: N): void {
    this.changes++;
    this.nodes.set(node.id, node);
    // A node that names itself as parent is a broken link, not its own child.
    if (node.parentId !== null && node.parentId !== node.id) {
      let set = this.children.get(node.parentId);
      if (!set) {
        set = new Set();
        this.children.set(node.parentId, set);
      }
      set.add(node.id);
    }
  }

  /** A node's own fields (its level) changed in place: what callers cached of the tree drops. */
  touched(): void {
    this.changes++;
  }

  /** Empties the tree (a reload follows); the version still grows, so caches drop. */
  clear(): void {
    this.changes++;
    this.nodes.clear();
    this.children.clear();
    this.reported.clear();
  }

  /** Moves a node under another parent (null: a root). The caller has ruled out cycles. */
  reparent(id: string, parentId: string | null): void {
    const node = this.nodes.get(id);
    if (!node) return;
    this.remove(id);
    node.parentId = parentId;
    this.add(node);
  }

  /** Removes a node; the caller has checked it has no children. */
  remove(id: string): void {
    const node = this.nodes.get(id);
    if (!node) return;
    this.changes++;
    if (node.parentId !== null) this.children.get(node.parentId)?.delete(id);
    this.nodes.delete(id);
  }

  get(id: string): N | undefined {
    return this.nodes.get(id);
  }

  all(): N[] {
    return [...this.nodes.values()];
  }

  childrenOf(id: string): N[] {
    return [...(this.children.get(id) ?? [])].map((c) => this.nodes.get(c)!);
  }

  /**
   * The node itself first, then its parent, up to the root. A cycle in stored data ends the walk
   * at the link that closes it (reported once); no walk takes more steps than there are nodes.
   */
  pathToRoot(id: string): N[] {
    const path: N[] = [];
    const seen = new Set<string>();
    let current = this.nodes.get(id);
    while (current) {
      seen.add(current.id);
      path.push(current);
      const parentId = current.parentId;
      if (parentId === null) break;
      if (seen.has(parentId)) {
        this.reportCycle(path.slice(path.findIndex((n) => n.id === parentId)).map((n) => n.id));
        break;
      }
      current = this.nodes.get(parentId);
    }
    return path;
  }

  /**
   * `rootId` and every node below it, parents before children (depth first, children in insertion
   * order). Each node is visited once, so a cycle in stored data cannot make the walk endless.
   */
  *subtree(rootId: string): Generator<N> {
    const root = this.nodes.get(rootId);
    if (!root) return;
    const seen = new Set<string>();
    const stack: N[] = [root];
    while (stack.length > 0) {
      const node = stack.pop() as N;
      if (seen.has(node.id)) {
        this.reportCycle(this.pathToRoot(node.id).map((n) => n.id));
        continue;
      }
      seen.add(node.id);
      yield node;
      const children = this.childrenOf(node.id);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as N);
    }
  }

  /** The ids on every cycle in the tree (empty for a sound tree); each node is looked at once. */
  cycles(): string[][] {
    const found: string[][] = [];
    const settled = new Set<string>();
    for (const start of this.nodes.keys()) {
      const onPath = new Map<string, number>();
      const path: string[] = [];
      let id: string | null = start;
      while (id !== null && !settled.has(id) && this.nodes.has(id)) {
        const at = onPath.get(id);
        if (at !== undefined) {
          found.push(path.slice(at));
          break;
        }
        onPath.set(id, path.length);
        path.push(id);
        id = this.nodes.get(id)?.parentId ?? null;
      }
      for (const p of path) settled.add(p);
    }
    return found;
  }

  /** Finds the cycles in the tree and reports each (once, like the walks do): for loads and reloads. */
  auditCycles(): string[][] {
    const found = this.cycles();
    for (const ids of found) this.reportCycle(ids);
    return found;
  }

  private reportCycle(ids: string[]): void {
    const key = [...ids].sort().join('\u0000');
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.onCycle(ids);
  }

  /** Ids from the root down to `id` (inclusive). */
  pathIds(id: string): string[] {
    return this.pathToRoot(id)
      .map((n) => n.id)
      .reverse();
  }

  /**
   * The lowest node that has every one of `ids` in its subtree (itself included); null when `ids` is
   * empty or the nodes have no common ancestor.
   */
  commonAncestor(ids: Iterable<string>): string | null {
    let common: string[] | null = null;
    for (const id of ids) {
      const path = this.pathIds(id);
      if (common === null) common = path;
      else {
        let same = 0;
        while (same < common.length && same < path.length && common[same] === path[same]) same++;
        common = common.slice(0, same);
      }
      if (common.length === 0) return null;
    }
    return common?.at(-1) ?? null;
  }

  /** True when `id` is `rootId` or below it. A null root means the whole tree. */
  isWithin(id: string, rootId: string | null): boolean {
    if (rootId === null) return true;
    return this.pathToRoot(id).some((n) => n.id === rootId);
  }

  /** Names from the root down, as people say a place: 曲沃县 / 史村镇 / 东村 / 三组. */
  pathNames(id: string): string[] {
    return this.pathToRoot(id)
      .map((n) => n.name)
      .reverse();
  }
}
