import { createWorkerBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { iso } from '../views.ts';

export function workerRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/workers',
    tag: 'registry',
    summary: 'Create a grid worker (网格员) or leader at a grid node',
    roles: ['admin'],
    body: createWorkerBody,
    status: 201,
    handler: async ({ body, principal }) => {
      if (registry.gridNode(body.gridId)) requireScope(registry.tree, principal, body.gridId);
      const w = await registry.createWorker(body);
      return { ...w, createdAt: iso(w.createdAt) };
    },
  });
  table.add({
    method: 'GET',
    url: '/api/workers',
    tag: 'registry',
    summary: 'List workers in your scope (names and roles, so alerts can show who holds them)',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ principal, query }) =>
      paginate(
        registry
          .allWorkers()
          .filter((w) => inScope(registry.tree, principal, w.gridId))
          .map((w) => ({ ...w, createdAt: iso(w.createdAt) })),
        query,
      ),
  });
}
