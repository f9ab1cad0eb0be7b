import type { Clock } from '../../core/clock.ts';
import { notFound } from '../../core/errors.ts';
import type { RegistryChanges } from '../registryChanges.ts';
import type { RegistryIndex } from '../registryIndex.ts';

/**
 * What every command module is given: the index it checks against and keeps in step, the narrow
 * store port it writes through (each module declares its own), the change counter and the clock.
 * A command checks first (friendly errors), writes to the store, then updates the index and
 * announces the change: the index never holds what the store refused.
 */
export interface CommandContext<Port> {
  readonly index: RegistryIndex;
  readonly store: Port;
  readonly changes: RegistryChanges;
  readonly clock: Clock;
}

export function requireGridNode(index: RegistryIndex, id: string): void {
  if (!index.gridNode(id)) throw notFound('grid node', id);
}

export function requireHousehold(index: RegistryIndex, id: string): void {
  if (!index.household(id)) throw notFound('household', id);
}

/** The fields a PATCH body gave (undefined means "leave as is"; null clears). */
export function definedFields<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * What an audit entry about something of a household (a sensor, quarantine, window) is about: it lies
 * at the household's node, and goes with the household's privacy purge.
 */
export function householdAuditChange(
  index: RegistryIndex,
  change: { entity: string; entityId: string; action: string },
  householdId: string,
): { entity: string; entityId: string; action: string; gridId: string | null; householdId: string } {
  return { ...change, gridId: index.household(householdId)?.gridId ?? null, householdId };
}
