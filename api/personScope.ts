import type { Registry } from '../registry/registry.ts';
import type { User } from '../registry/userSchemas.ts';

/**
 * The grid subtree a signed-in person sees. A grid worker (role `worker`) linked to a worker record
 * sees only their own node's subtree, even when an administrator gave the user a wider one: the
 * phone view promises "only their households" (issue 18.3), and a worker at 组 level given the
 * township by mistake must not see the neighbours' households. The user's grant stays the outer
 * limit: a worker record outside it (moved since) narrows nothing, it never widens the grant.
 */
export function personScope(
  registry: Registry,
  user: Pick<User, 'role' | 'gridId' | 'workerId'>,
): string | null {
  if (user.role !== 'worker' || user.workerId === null) return user.gridId;
  const worker = registry.worker(user.workerId);
  if (!worker || !registry.gridNode(worker.gridId)) return user.gridId;
  return registry.tree.isWithin(worker.gridId, user.gridId) ? worker.gridId : user.gridId;
}
