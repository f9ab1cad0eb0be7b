import { conflict, notFound } from '../../core/errors.ts';
import { newHousehold } from '../newRecords.ts';
import type { CreateHousehold, Household, UpdateHousehold } from '../schemas.ts';
import { type CommandContext, definedFields, requireGridNode } from './commandContext.ts';

/** What the household commands write. */
export interface HouseholdStore {
  insertHousehold(household: Household): Promise<void>;
  /** Replaces the whole record (the registry merged the change); ids never change. */
  updateHousehold(household: Household): Promise<void>;
  /** One transaction: the household (without sensors), its quarantines, windows and door history. */
  deleteHousehold(id: string): Promise<{ doorEvents: number }>;
}

/** The households under quarantine, each placed on a grid node. */
export class HouseholdCommands {
  constructor(private readonly ctx: CommandContext<HouseholdStore>) {}

  async create(input: CreateHousehold): Promise<Household> {
    const { index, store, changes, clock } = this.ctx;
    if (index.household(input.id)) throw conflict(`household '${input.id}' already exists`, { id: input.id });
    requireGridNode(index, input.gridId);
    const h = newHousehold(input, clock.now());
    await store.insertHousehold(h);
    index.putHousehold(h);
    changes.changed('household', h.id);
    return h;
  }

  async update(id: string, change: UpdateHousehold): Promise<Household> {
    const { index, store, changes } = this.ctx;
    const h = index.household(id);
    if (!h) throw notFound('household', id);
    if (change.gridId !== undefined) requireGridNode(index, change.gridId);
    if (h.purgedAt !== null && (change.address !== undefined || change.contact !== undefined))
      throw conflict(
        `household '${id}' had its personal data purged after its quarantine; register the household again`,
      );
    const next: Household = { ...h, ...definedFields(change) };
    await store.updateHousehold(next);
    index.replaceHousehold(h, next);
    changes.changed('household', id);
    return h;
  }

  /** A household registered by mistake; one with sensors is refused (remove the sensors first). */
  async delete(id: string): Promise<{ household: Household; doorEvents: number }> {
    const { index, store, changes } = this.ctx;
    const h = index.household(id);
    if (!h) throw notFound('household', id);
    const sensors = index.sensorsOf(id).length;
    if (sensors > 0)
      throw conflict(`household '${id}' still has ${sensors} sensors: remove them first`, { sensors });
    const { doorEvents } = await store.deleteHousehold(id);
    index.removeHousehold(h);
    changes.changed('household', id, true);
    return { household: h, doorEvents };
  }
}
