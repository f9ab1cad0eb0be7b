import { notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import {
  type GridPolicy,
  type GridPolicyChange,
  POLICY_FIELDS,
  type PolicyOverrides,
  writtenPolicy,
} from '../policy/policyFields.ts';
import type { CommandContext } from './commandContext.ts';

/** The id of a 'policy' change that may concern any node (an import). */
export const ALL_NODES = '*';

/** What the policy commands write. */
export interface PolicyStore {
  /**
   * In one transaction: each of `put` replaces its node's stored policy (inserted if none), the
   * nodes in `removed` lose theirs (a node whose last field was removed inherits everything again),
   * and the audit entries are appended.
   */
  writeGridPolicies(
    put: readonly GridPolicy[],
    removed: readonly string[],
    audit: readonly AuditEntry[],
  ): Promise<void>;
}

/**
 * Policies per grid node (issue 16.4): a node sets some fields, null removes one, and what it does
 * not set it inherits. Each write records who made it and when (`updatedBy`, `updatedAt`, and an
 * entry in the audit trail with the fields before and after, in the same transaction), and is
 * announced as a registry change ('policy'), so alerting re-reads the deadlines of open alerts below.
 */
export class PolicyCommands {
  constructor(private readonly ctx: CommandContext<PolicyStore>) {}

  /** Merges `change` into the node's policy; answers what the node sets afterwards (null: nothing). */
  async set(gridId: string, change: GridPolicyChange, actor: Actor): Promise<GridPolicy | null> {
    const { index, clock } = this.ctx;
    if (!index.gridNode(gridId)) throw notFound('grid node', gridId);
    const fields: Record<string, unknown> = { ...(index.policies.of(gridId)?.fields ?? {}) };
    for (const f of POLICY_FIELDS) {
      const v = change[f];
      if (v === null) delete fields[f];
      else if (v !== undefined) fields[f] = v;
    }
    const next = {
      gridId,
      fields: fields as PolicyOverrides,
      updatedAt: clock.now(),
      updatedBy: actor.name,
    };
    await this.write([next], actor, 'update');
    return index.policies.of(gridId) ?? null;
  }

  /**
   * A CSV import: each row's fields become its node's whole policy (an exported file imported again
   * gives the same policies). The caller has checked the rows; all are written in one transaction.
   */
  async replaceMany(
    rows: ReadonlyArray<{ gridId: string; fields: PolicyOverrides }>,
    actor: Actor,
  ): Promise<number> {
    const now = this.ctx.clock.now();
    await this.write(
      rows.map((r) => ({ gridId: r.gridId, fields: r.fields, updatedAt: now, updatedBy: actor.name })),
      actor,
      'import',
    );
    return rows.length;
  }

  private async write(policies: GridPolicy[], actor: Actor, action: string): Promise<void> {
    const { index, store, changes } = this.ctx;
    const put = policies.filter((p) => Object.keys(p.fields).length > 0);
    const removed = policies.filter((p) => Object.keys(p.fields).length === 0).map((p) => p.gridId);
    // The trail shows the fields as people write them (durations as 90s, 5m), before and after.
    const shown = (fields: PolicyOverrides | undefined) =>
      fields && Object.keys(fields).length > 0 ? writtenPolicy(fields) : null;
    const audit = policies.map((p) =>
      auditEntry(
        p.updatedAt,
        actor,
        { entity: 'policy', entityId: p.gridId, action, gridId: p.gridId },
        shown(index.policies.of(p.gridId)?.fields),
        shown(p.fields),
      ),
    );
    await store.writeGridPolicies(put, removed, audit);
    for (const p of put) index.policies.put(p);
    for (const id of removed) index.policies.remove(id);
    // One announcement for a whole import: readers then look at every node once, not once per row.
    if (policies.length === 1) changes.changed('policy', policies[0]!.gridId, removed.length === 1);
    else if (policies.length > 1) changes.changed('policy', ALL_NODES);
  }
}
