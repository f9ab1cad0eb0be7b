import type { GridNode } from './schemas.ts';

/**
 * The grid hierarchy in memory. Levels are data: any depth. Ancestor chains
 * are computed on demand (trees are shallow: five or six levels).
 */
export class GridTree {
  private readonly nodes = new Map<string, GridNode>();
  private readonly children = new Map<string, Set<string>>();

  add(node: GridNode): void {
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

  get(id: string): GridNode | undefined {
    return this.nodes.get(id);
  }

  all(): GridNode[] {
    return [...this.nodes.values()];
  }

  childrenOf(id: string): GridNode[] {
    return [...(this.children.get(id) ?? [])].map((c) => this.nodes.get(c)!);
  }

  /** The node itself first, then its parent, up to the root. */
  pathToRoot(id: string): GridNode[] {
    const path: GridNode[] = [];
    let current = this.nodes.get(id);
    while (current && path.length < 1000) {
      path.push(current);
      current = current.parentId === null ? undefined : this.nodes.get(current.parentId);
    }
    return path;
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
