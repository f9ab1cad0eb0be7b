import { createHouseholdBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { iso } from '../views.ts';

export function householdRoutes(table: RouteTable, { registry, clock }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/households',
    tag: 'registry',
    summary: 'Create a household at a grid node',
    roles: ['admin'],
    body: createHouseholdBody,
    status: 201,
    handler: async ({ body, principal }) => {
      if (registry.gridNode(body.gridId)) requireScope(registry.tree, principal, body.gridId);
      const h = await registry.createHousehold(body);
      return { ...h, createdAt: iso(h.createdAt), armed: false };
    },
  });
  table.add({
    method: 'GET',
    url: '/api/households',
    tag: 'registry',
    summary: 'List households in your scope (?gridId= for one subtree)',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ principal, query }) => {
      const now = clock.now();
      const under = query.gridId;
      if (under !== undefined) requireScope(registry.tree, principal, under);
      return paginate(
        registry
          .allHouseholds()
          .filter((h) => inScope(registry.tree, principal, h.gridId))
          .filter((h) => under === undefined || registry.tree.isWithin(h.gridId, under))
          .map((h) => ({
            ...h,
            createdAt: iso(h.createdAt),
            purgedAt: iso(h.purgedAt),
            armed: registry.isArmed(h.id, now),
          })),
        query,
      );
    },
  });
}
