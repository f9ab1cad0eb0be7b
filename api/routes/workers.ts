import { notFound } from '../../core/errors.ts';
import type { Worker } from '../../registry/schemas.ts';
import { createWorkerBody, updateWorkerBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { workerAnswer } from '../schemas/registryAnswers.ts';
import { workerView } from '../views.ts';

const workerId = pathParams('workerId');

export function workerRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/workers',
    tag: 'registry',
    summary: 'Create a grid worker (网格员) or leader at a grid node',
    roles: ['admin'],
    body: createWorkerBody,
    status: 201,
    answer: workerAnswer,
    conflict: 'a worker with this id already exists',
    handler: async ({ body, principal }) => {
      if (registry.gridNode(body.gridId))
        requireScope(registry.tree, principal, body.gridId, { what: 'grid node', id: body.gridId });
      return workerView(await registry.createWorker(body, principal));
    },
  });
  table.add({
    method: 'GET',
    url: '/api/workers',
    tag: 'registry',
    summary:
      'List workers in your scope (names and roles, so alerts can show who holds them; webhooks masked)',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    query: pageQuery(1000),
    answer: pageOf(workerAnswer),
    handler: async ({ principal, query }) =>
      paginate(
        registry.allWorkers().filter((w) => inScope(registry.tree, principal, w.gridId)),
        query,
        workerView,
      ),
  });

  const workerInScope = (principal: Principal, id: string): Worker => {
    const w = registry.worker(id);
    if (!w) throw notFound('worker', id);
    requireScope(registry.tree, principal, w.gridId, { what: 'worker', id });
    return w;
  };

  table.add({
    method: 'PATCH',
    url: '/api/workers/:workerId',
    tag: 'registry',
    summary: "Change a worker's name, role, contacts (null clears one) or grid node",
    roles: ['admin'],
    params: workerId,
    body: updateWorkerBody,
    answer: workerAnswer,
    handler: async ({ body, params, principal }) => {
      workerInScope(principal, params.workerId);
      if (body.gridId !== undefined && registry.gridNode(body.gridId))
        requireScope(registry.tree, principal, body.gridId, { what: 'grid node', id: body.gridId });
      return workerView(await registry.updateWorker(params.workerId, body, principal));
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/workers/:workerId',
    tag: 'registry',
    summary:
      'Remove a worker: alerts they held keep their history and escalate on to the leaders above; queued messages still go out',
    roles: ['admin'],
    params: workerId,
    answer: workerAnswer,
    handler: async ({ params, principal }) => {
      workerInScope(principal, params.workerId);
      return workerView(await registry.deleteWorker(params.workerId, principal));
    },
  });
}
