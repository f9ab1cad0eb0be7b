import { notFound } from '../core/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Household } from '../registry/schemas.ts';
import { inScope, type Principal, requireScope } from './principal.ts';

/** The household, if it exists and lies in the caller's subtree; otherwise 404, the same either way. */
export function householdInScope(registry: Registry, principal: Principal, id: string): Household {
  const h = registry.household(id);
  if (!h) throw notFound('household', id);
  requireScope(registry.tree, principal, h.gridId, { what: 'household', id });
  return h;
}

/** The households in the caller's scope, in one subtree (`under`, checked like any node id) or all. */
export function householdsInScope(registry: Registry, principal: Principal, under?: string): Household[] {
  if (under !== undefined) {
    if (!registry.gridNode(under)) throw notFound('grid node', under);
    requireScope(registry.tree, principal, under, { what: 'grid node', id: under });
  }
  return registry
    .allHouseholds()
    .filter((h) => inScope(registry.tree, principal, h.gridId))
    .filter((h) => under === undefined || registry.tree.isWithin(h.gridId, under));
}
