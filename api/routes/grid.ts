import { forbidden, notFound } from '../../core/errors.ts';
import { createGridNodeBody, updateGridNodeBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { gridNodeAnswer } from '../schemas/registryAnswers.ts';
import { gridNodeView } from '../views.ts';

const gridId = pathParams('gridId');

export function gridRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/grid',
    tag: 'registry',
    summary: 'Create a grid node (any depth: county, township, village, group, …)',
    roles: ['admin'],
    body: createGridNodeBody,
    status: 201,
    answer: gridNodeAnswer,
    conflict: 'a grid node with this id already exists',
    handler: async ({ body, principal }) => {
      if (body.parentId === null && principal.gridId !== null)
        throw forbidden('only a whole-grid admin creates a root node');
      if (body.parentId !== null && registry.gridNode(body.parentId))
        requireScope(registry.tree, principal, body.parentId, {
          what: 'parent grid node',
          id: body.parentId,
        });
      return gridNodeView(await registry.createGridNode(body, principal));
    },
  });
  table.add({
    method: 'GET',
    url: '/api/grid',
    tag: 'registry',
    summary: 'List grid nodes in your scope',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    query: pageQuery(10_000),
    answer: pageOf(gridNodeAnswer),
    handler: async ({ principal, query }) =>
      paginate(
        registry.tree.all().filter((n) => inScope(registry.tree, principal, n.id)),
        query,
        gridNodeView,
      ),
  });

  /** A scoped admin manages below its root; the root itself is renamed only, never moved or removed. */
  const nodeInScope = (principal: Principal, id: string) => {
    if (!registry.gridNode(id)) throw notFound('grid node', id);
    requireScope(registry.tree, principal, id, { what: 'grid node', id });
  };

  table.add({
    method: 'PATCH',
    url: '/api/grid/:gridId',
    tag: 'registry',
    summary:
      'Rename a grid node or move it under another parent (its households, workers and tokens move with it)',
    roles: ['admin'],
    params: gridId,
    body: updateGridNodeBody,
    answer: gridNodeAnswer,
    handler: async ({ body, params, principal }) => {
      const id = params.gridId;
      nodeInScope(principal, id);
      if (body.parentId !== undefined && body.parentId !== registry.gridNode(id)?.parentId) {
        if (id === principal.gridId) throw forbidden('your token is scoped to this node: it cannot move it');
        if (body.parentId === null && principal.gridId !== null)
          throw forbidden('only a whole-grid admin makes a node a root');
        if (body.parentId !== null && registry.gridNode(body.parentId))
          requireScope(registry.tree, principal, body.parentId, {
            what: 'parent grid node',
            id: body.parentId,
          });
      }
      return gridNodeView(await registry.updateGridNode(id, body, principal));
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/grid/:gridId',
    tag: 'registry',
    summary:
      'Remove an empty grid node; one with child nodes, workers, households, windows or tokens is refused (409)',
    roles: ['admin'],
    params: gridId,
    answer: gridNodeAnswer,
    conflict:
      'the node still has child nodes, workers, households, windows or tokens (the message names them)',
    handler: async ({ params, principal }) => {
      const id = params.gridId;
      nodeInScope(principal, id);
      if (id === principal.gridId) throw forbidden('your token is scoped to this node: it cannot remove it');
      return gridNodeView(await registry.deleteGridNode(id, principal));
    },
  });
}
