import { notFound } from '../core/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Household } from '../registry/schemas.ts';
import { type Principal, requireScope } from './principal.ts';

/** The household, if it exists and lies in the caller's subtree; otherwise 404, the same either way. */
export function householdInScope(registry: Registry, principal: Principal, id: string): Household {
  const h = registry.household(id);
  if (!h) throw notFound('household', id);
  requireScope(registry.tree, principal, h.gridId, { what: 'household', id });
  return h;
}
