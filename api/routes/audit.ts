import { z } from 'zod';
import { forbidden } from '../../core/errors.ts';
import type { Registry } from '../../registry/registry.ts';
import { isoTime } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import type { Principal } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageQuery } from '../schemas/common.ts';
import { auditAnswer } from '../schemas/registryAnswers.ts';
import { isoAt } from '../views.ts';

const auditQuery = pageQuery(1000).extend({
  entity: z.string().max(64).optional().meta({
    description:
      'what kind of thing changed: grid, worker, household, sensor, quarantine, window, announcement, token, gateway, platformApp, sensorModel, policy, roster, absence, user',
  }),
  id: z.string().max(200).optional().meta({ description: 'the id of the thing that changed' }),
  actor: z.string().max(200).optional().meta({ description: "who changed it: a user, or a token's name" }),
  from: isoTime.optional().meta({ description: 'from this time on (inclusive)' }),
  to: isoTime.optional().meta({ description: 'before this time (exclusive)' }),
});

/**
 * Who reads the audit trail: administrators, and grid leaders (a person signed in as a grid worker
 * whose worker record is a `leader`: 镇/村网格长) for their own subtree. A leader answers for what
 * happens below them; a plain grid worker, a monitor or a machine token does not read it.
 */
function requireAuditReader(registry: Registry, principal: Principal): void {
  if (principal.role === 'admin') return;
  const workerId = principal.session?.workerId ?? null;
  if (workerId !== null && registry.worker(workerId)?.role === 'leader') return;
  throw forbidden('the audit log is for administrators and grid leaders (a user linked to a leader)');
}

/** The audit trail: who changed what, when, and what it was before and after. */
export function auditRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'GET',
    url: '/api/audit',
    tag: 'registry',
    summary:
      "The audit trail, newest first, as a JSON array (the whole count in the x-total-count header): every change to the registry, tokens, users, policies and staff announcements, with who made it (a user, or a token's name), when, and the entity before and after (never a secret, password or their hashes); a CSV import has one entry per row. A scoped admin, or a grid leader signed in as a person (a worker user linked to a leader), sees the entries lying in its subtree; other workers get 403. A household's entries go with its privacy purge",
    roles: ['admin', 'worker'],
    query: auditQuery,
    answer: z.array(auditAnswer),
    handler: async ({ query, principal, reply }) => {
      requireAuditReader(registry, principal);
      const { entity, id, actor, from, to, limit, offset } = query;
      const page = await registry.auditPage({
        ...(entity !== undefined ? { entity } : {}),
        ...(id !== undefined ? { entityId: id } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        // A scoped admin or a leader reads the entries about its subtree only (entries without a node: none).
        ...(principal.gridId !== null
          ? { withinGridIds: [...registry.tree.subtree(principal.gridId)].map((n) => n.id) }
          : {}),
        limit,
        offset,
      });
      // SPEC: the answer is the array itself; the whole count goes in a header for paging.
      reply.header('x-total-count', String(page.total));
      return page.items.map((r) => ({
        seq: r.seq,
        at: isoAt(r.at),
        actor: r.actor,
        entity: r.entity,
        id: r.entityId,
        action: r.action,
        gridId: r.gridId,
        before: r.before,
        after: r.after,
      }));
    },
  });
}
