import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { cycleRefusal } from '../gridCycle.ts';
import { newGridNode } from '../newRecords.ts';
import type { CreateGridNode, GridNode, UpdateGridNode } from '../schemas.ts';
import type { CommandContext } from './commandContext.ts';

/**
 * What the grid commands write and ask of the store. A write given an audit entry writes it in the
 * same transaction (the commands always give one; seeds of tests and benchmarks write without).
 */
export interface GridStore {
  insertGridNode(node: GridNode, audit?: AuditEntry): Promise<void>;
  /**
   * Replaces the whole record (the registry merged the change); ids never change. A node moved
   * under itself or one of its descendants is refused by the store too (a validation ServiceError),
   * checked against what is stored, so two instances moving two nodes under each other at once
   * cannot make a cycle between them.
   */
  updateGridNode(node: GridNode, audit?: AuditEntry): Promise<void>;
  /** Only an empty node is deleted: the registry has checked that nothing refers to it. */
  deleteGridNode(id: string, audit?: AuditEntry): Promise<void>;
  /** Tokens (revoked ones too) scoped to a grid node: they hold it. */
  countTokensAt(gridId: string): Promise<number>;
  /** Users (disabled ones too) scoped to a grid node: they hold it too. */
  countUsersAt(gridId: string): Promise<number>;
}

/** The grid: nodes created, renamed or moved, and removed when nothing hangs on them. */
export class GridCommands {
  constructor(private readonly ctx: CommandContext<GridStore>) {}

  async create(input: CreateGridNode, actor: Actor): Promise<GridNode> {
    const { index, store, changes, clock } = this.ctx;
    if (index.tree.get(input.id)) throw conflict(`grid node '${input.id}' already exists`, { id: input.id });
    if (input.parentId === input.id) throw invalid(`grid node '${input.id}' cannot be its own parent`);
    if (input.parentId !== null && !index.tree.get(input.parentId))
      throw notFound('parent grid node', input.parentId);
    const node = newGridNode(input, clock.now());
    await store.insertGridNode(node, this.audit(actor, node.id, 'create', node.id, null, node));
    index.tree.add(node);
    changes.changed('grid', node.id);
    return node;
  }

  async update(id: string, change: UpdateGridNode, actor: Actor): Promise<GridNode> {
    const { index, store, changes } = this.ctx;
    const node = index.tree.get(id);
    if (!node) throw notFound('grid node', id);
    const parentId = change.parentId === undefined ? node.parentId : change.parentId;
    if (parentId !== node.parentId && parentId !== null) {
      if (!index.tree.get(parentId)) throw notFound('parent grid node', parentId);
      if (index.tree.isWithin(parentId, id)) throw cycleRefusal(id, parentId);
    }
    const next: GridNode = {
      ...node,
      name: change.name ?? node.name,
      level: change.level ?? node.level,
      parentId,
    };
    // A move is about both places: the entry lies where the old and the new parent meet.
    const gridId =
      parentId === node.parentId
        ? id
        : node.parentId === null || parentId === null
          ? null
          : index.tree.commonAncestor([node.parentId, parentId]);
    await store.updateGridNode(next, this.audit(actor, id, 'update', gridId, { ...node }, next));
    node.name = next.name;
    // The level names the node's telemetry tag (gridLevelTags.ts), cached per tree version.
    if (node.level !== next.level) index.tree.touched();
    node.level = next.level;
    if (parentId !== node.parentId) index.tree.reparent(id, parentId);
    changes.changed('grid', id);
    return node;
  }

  /** Refused, with what is still attached, while anything refers to the node. */
  async delete(id: string, actor: Actor): Promise<GridNode> {
    const { index, store, changes } = this.ctx;
    const node = index.tree.get(id);
    if (!node) throw notFound('grid node', id);
    const attached = {
      childNodes: index.tree.childrenOf(id).length,
      workers: index.workersAt(id).length,
      households: index.householdsAt(id).length,
      windows: index.windowsAt(id).length,
      tokens: await store.countTokensAt(id),
      users: await store.countUsersAt(id),
    };
    const held = Object.entries(attached).filter(([, n]) => n > 0);
    if (held.length > 0)
      throw conflict(
        `grid node '${id}' still has ${held.map(([what, n]) => `${n} ${what}`).join(', ')}: move or remove them first`,
        attached,
      );
    // The entry lies at the parent: the node itself is gone from every reader's subtree.
    await store.deleteGridNode(id, this.audit(actor, id, 'delete', node.parentId, { ...node }, null));
    index.tree.remove(id);
    index.policies.remove(id); // the store's row went with the node (ON DELETE CASCADE)
    changes.changed('grid', id, true);
    return node;
  }

  /** `gridId`: the node whose subtree the entry lies in (null: whole-grid readers only). */
  private audit(
    actor: Actor,
    entityId: string,
    action: string,
    gridId: string | null,
    before: GridNode | null,
    after: GridNode | null,
  ): AuditEntry {
    const change = { entity: 'grid', entityId, action, gridId };
    return auditEntry(this.ctx.clock.now(), actor, change, before, after);
  }
}
