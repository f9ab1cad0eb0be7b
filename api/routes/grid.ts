import { forbidden } from '../../core/errors.ts';
import { createGridNodeBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { gridNodeView } from '../views.ts';

export function gridRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/grid',
    tag: 'registry',
    summary: 'Create a grid node (any depth: county, township, village, group, …)',
    roles: ['admin'],
    body: createGridNodeBody,
    status: 201,
    handler: async ({ body, principal }) => {
      if (body.parentId === null && principal.gridId !== null)
        throw forbidden('only a whole-grid admin creates a root node');
      if (body.parentId !== null && registry.gridNode(body.parentId))
        requireScope(registry.tree, principal, body.parentId);
      return gridNodeView(await registry.createGridNode(body));
    },
  });
  table.add({
    method: 'GET',
    url: '/api/grid',
    tag: 'registry',
    summary: 'List grid nodes in your scope',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ principal, query }) =>
      paginate(
        registry.tree
          .all()
          .filter((n) => inScope(registry.tree, principal, n.id))
          .map(gridNodeView),
        query,
        10_000,
      ),
  });
}
