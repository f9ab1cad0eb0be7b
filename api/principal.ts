import { forbidden } from '../core/errors.ts';
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

export function requireScope(tree: GridTree, principal: Principal, gridId: string): void {
  if (!inScope(tree, principal, gridId)) throw forbidden(`grid node '${gridId}' is outside your scope`);
}
