import { z } from 'zod';
import { isoTime } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
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

/** The audit trail: who changed what, when, and what it was before and after. */
export function auditRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'GET',
    url: '/api/audit',
    tag: 'registry',
    summary:
      "The audit trail, newest first, as a JSON array (the whole count in the x-total-count header): every change to the registry, tokens, users, policies and staff announcements, with who made it (a user, or a token's name), when, and the entity before and after (never a secret, password or their hashes); a CSV import has one entry per row. A scoped admin sees the entries lying in its subtree. A household's entries go with its privacy purge",
    roles: ['admin'],
    query: auditQuery,
    answer: z.array(auditAnswer),
    handler: async ({ query, principal, reply }) => {
      const { entity, id, actor, from, to, limit, offset } = query;
      const page = await registry.auditPage({
        ...(entity !== undefined ? { entity } : {}),
        ...(id !== undefined ? { entityId: id } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        // A scoped admin reads the entries about its subtree only (entries without a node: none).
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
