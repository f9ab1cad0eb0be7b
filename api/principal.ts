import { forbidden, notFound } from '../core/errors.ts';
import type { GridTree } from '../registry/gridTree.ts';
import type { Role } from '../registry/schemas.ts';

/**
 * The caller of an API request: a machine's API token, or a person signed in with the session
 * cookie; either way a role and the grid subtree it may see.
 */
export interface Principal {
  kind: 'token' | 'user';
  /**
   * The credential: the token's id, or `user:<userId>` for a person (their event streams close by
   * it when an administrator ends their sessions).
   */
  tokenId: string;
  /** Who acts, as histories record it: the user name, or the token's name. */
  name: string;
  role: Role;
  /** Root of the caller's subtree; null means the whole grid. */
  gridId: string | null;
  /** When the token expires (epoch ms); null: never. Long-lived answers (event streams) end then. */
  expiresAt: number | null;
  /** A person's session; null for a token. */
  session: PersonSession | null;
}

export interface PersonSession {
  userId: string;
  workerId: string | null;
  /** The id from the cookie, to sign out with. */
  sessionId: string;
  csrfToken: string;
}

/** The credential id a person's event streams carry (Principal.tokenId). */
export const userCredential = (userId: string): string => `user:${userId}`;

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
