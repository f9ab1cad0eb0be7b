import { conflict, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { newHousehold } from '../newRecords.ts';
import type { CreateHousehold, Household, UpdateHousehold } from '../schemas.ts';
import { type CommandContext, definedFields, requireGridNode } from './commandContext.ts';

/**
 * What the household commands write. A write given an audit entry writes it in the same transaction
 * (the commands always give one; seeds of tests and benchmarks write without).
 */
export interface HouseholdStore {
  insertHousehold(household: Household, audit?: AuditEntry): Promise<void>;
  /** Replaces the whole record (the registry merged the change); ids never change. */
  updateHousehold(household: Household, audit?: AuditEntry): Promise<void>;
  /** One transaction: the household (without sensors), its quarantines, windows and door history. */
  deleteHousehold(id: string, audit?: AuditEntry): Promise<{ doorEvents: number }>;
}

/** The households under quarantine, each placed on a grid node. */
export class HouseholdCommands {
  constructor(private readonly ctx: CommandContext<HouseholdStore>) {}

  async create(input: CreateHousehold, actor: Actor): Promise<Household> {
    const { index, store, changes, clock } = this.ctx;
    if (index.household(input.id)) throw conflict(`household '${input.id}' already exists`, { id: input.id });
    requireGridNode(index, input.gridId);
    const h = newHousehold(input, clock.now());
    await store.insertHousehold(h, this.audit(actor, 'create', null, h));
    index.putHousehold(h);
    changes.changed('household', h.id);
    return h;
  }

  async update(id: string, change: UpdateHousehold, actor: Actor): Promise<Household> {
    const { index, store, changes } = this.ctx;
    const h = index.household(id);
    if (!h) throw notFound('household', id);
    if (change.gridId !== undefined) requireGridNode(index, change.gridId);
    if (h.purgedAt !== null && (change.address !== undefined || change.contact !== undefined))
      throw conflict(
        `household '${id}' had its personal data purged after its quarantine; register the household again`,
      );
    const next: Household = { ...h, ...definedFields(change) };
    await store.updateHousehold(next, this.audit(actor, 'update', h, next));
    index.replaceHousehold(h, next);
    changes.changed('household', id);
    return h;
  }

  /**
   * A household registered by mistake; one with sensors is refused (remove the sensors first). Its
   * audit entries stay for the retention period, then the privacy purge takes them
   * (purgeCommand.ts), as it would have taken the household's personal data.
   */
  async delete(id: string, actor: Actor): Promise<{ household: Household; doorEvents: number }> {
    const { index, store, changes } = this.ctx;
    const h = index.household(id);
    if (!h) throw notFound('household', id);
    const sensors = index.sensorsOf(id).length;
    if (sensors > 0)
      throw conflict(`household '${id}' still has ${sensors} sensors: remove them first`, { sensors });
    const { doorEvents } = await store.deleteHousehold(id, this.audit(actor, 'delete', h, null));
    index.removeHousehold(h);
    changes.changed('household', id, true);
    return { household: h, doorEvents };
  }

  /** The entry lies at the household's node (a move: where the two nodes meet) and goes with its purge. */
  private audit(actor: Actor, action: string, before: Household | null, after: Household | null): AuditEntry {
    const versions = [before, after].flatMap((h) => (h ? [h] : []));
    const id = (versions[0] as Household).id;
    const change = {
      entity: 'household',
      entityId: id,
      action,
      gridId: this.ctx.index.tree.commonAncestor(versions.map((h) => h.gridId)),
      householdId: id,
    };
    return auditEntry(this.ctx.clock.now(), actor, change, before && { ...before }, after);
  }
}
