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

  /** Grows with every change to the tree's shape, so callers can cache what depends on it. */
  get version(): number {
    return this.changes;
  }

  add(node: N): void {
    this.changes++;
    this.nodes.set(node.id, node);
    if (node.parentId !== null) {
      let set = this.children.get(node.parentId);
      if (!set) {
        set = new Set();
        this.children.set(node.parentId, set);
      }
      set.add(node.id);
    }
  }

  /** Empties the tree (a reload follows); the version still grows, so caches drop. */
  clear(): void {
    this.changes++;
    this.nodes.clear();
    this.children.clear();
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

  /** The node itself first, then its parent, up to the root. A cycle in bad data ends the walk. */
  pathToRoot(id: string): N[] {
    const path: N[] = [];
    const seen = new Set<string>();
    let current = this.nodes.get(id);
    while (current && !seen.has(current.id)) {
      seen.add(current.id);
      path.push(current);
      current = current.parentId === null ? undefined : this.nodes.get(current.parentId);
    }
    return path;
  }

  /** Ids from the root down to `id` (inclusive). */
  pathIds(id: string): string[] {
    return this.pathToRoot(id)
      .map((n) => n.id)
      .reverse();
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
