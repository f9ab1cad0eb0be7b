import { forbidden, notFound } from '../core/errors.ts';
import type { GridTree } from '../registry/gridTree.ts';
import type { Role } from '../registry/schemas.ts';

/** The caller of an API request: a token's role and the grid subtree it may see. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  /** Root of the caller's subtree; null means the whole grid. */
  gridId: string | null;
  /** When the token expires (epoch ms); null: never. Long-lived answers (event streams) end then. */
  expiresAt: number | null;
}

export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (!roles.includes(principal.role)) {
    throw forbidden(`role '${principal.role}' may not do this (needs ${roles.join(' or ')})`);
  }
}

export function inScope(tree: GridTree, principal: Principal, gridId: string): boolean {
  return tree.isWithin(gridId, principal.gridId);
}

/**
 * Outside the caller's subtree answers exactly as an unknown id does (404, `<what> '<id>' does not
 * exist`, naming what the caller named): a 403 would tell a scoped caller which ids exist in other
 * grids, and name their nodes.
 */
export function requireScope(
  tree: GridTree,
  principal: Principal,
  gridId: string,
  named: { what: string; id: string },
): void {
  if (!inScope(tree, principal, gridId)) throw notFound(named.what, named.id);
}
