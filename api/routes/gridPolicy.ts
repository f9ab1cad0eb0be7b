import { z } from 'zod';
import { notFound } from '../../core/errors.ts';
import { gridPolicyBody, POLICY_FIELDS, writtenPolicy } from '../../registry/policy/policyFields.ts';
import type { Registry } from '../../registry/registry.ts';
import type { ApiDeps } from '../deps.ts';
import { type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';
import { isoAt } from '../views.ts';

const gridId = pathParams('gridId');

const written = z.union([z.string(), z.number(), z.array(z.string()), z.record(z.string(), z.unknown())]);
const fieldsOf = <T extends z.ZodType>(value: T) =>
  z.object(
    Object.fromEntries(POLICY_FIELDS.map((f) => [f, value])) as Record<(typeof POLICY_FIELDS)[number], T>,
  );

const policyAnswer = z.object({
  gridId: z.string(),
  effective: fieldsOf(written).meta({
    description: 'the policy in force at the node (durations as 90s, 5m)',
  }),
  source: fieldsOf(z.string()).meta({
    description: 'per field: the id of the node that sets it, or "default" (the environment)',
  }),
  set: fieldsOf(written)
    .partial()
    .meta({ description: 'the fields this node sets itself (the rest it inherits)' }),
  updatedAt: z.string().nullable().meta({ description: "when this node's policy was last changed" }),
  updatedBy: z.string().nullable().meta({ description: 'who changed it last (the token name)' }),
});

function policyView(registry: Registry, id: string): z.infer<typeof policyAnswer> {
  const { effective, source } = registry.effectivePolicy(id);
  const own = registry.gridPolicy(id);
  return {
    gridId: id,
    effective: writtenPolicy(effective) as z.infer<typeof policyAnswer>['effective'],
    source,
    set: writtenPolicy(own?.fields ?? {}),
    updatedAt: own ? isoAt(own.updatedAt) : null,
    updatedBy: own?.updatedBy ?? null,
  };
}

/**
 * A grid node's policy (issue 16.4): the node sets some fields for its subtree, the rest it inherits
 * from above, and the root's come from the environment. Scoped like the grid routes: a scoped admin
 * (a leader's token) sets the policies of its subtree, its own root included; every role reads them.
 */
export function gridPolicyRoutes(table: RouteTable, { registry }: ApiDeps): void {
  const nodeInScope = (principal: Principal, id: string) => {
    if (!registry.gridNode(id)) throw notFound('grid node', id);
    requireScope(registry.tree, principal, id, { what: 'grid node', id });
  };

  table.add({
    method: 'GET',
    url: '/api/grid/:gridId/policy',
    tag: 'registry',
    summary: 'The policy in force at a grid node, and per field the node it comes from (or "default")',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    params: gridId,
    answer: policyAnswer,
    handler: async ({ params, principal }) => {
      nodeInScope(principal, params.gridId);
      return policyView(registry, params.gridId);
    },
  });

  table.add({
    method: 'PUT',
    url: '/api/grid/:gridId/policy',
    tag: 'registry',
    summary:
      'Set some policy fields of a grid node for its subtree (durations as 90s, 5m; null removes a field: it is inherited again)',
    roles: ['admin'],
    params: gridId,
    body: gridPolicyBody,
    answer: policyAnswer,
    handler: async ({ params, body, principal, request }) => {
      nodeInScope(principal, params.gridId);
      const policy = await registry.setGridPolicy(params.gridId, body, principal);
      // Who changed what, and when: the record of a rule change for the subtree.
      request.log.info(
        {
          gridId: params.gridId,
          actor: principal.name,
          tokenId: principal.tokenId,
          change: body,
          set: policy?.fields ?? {},
        },
        'grid policy changed',
      );
      return policyView(registry, params.gridId);
    },
  });
}
