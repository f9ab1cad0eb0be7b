import type { ApiDeps } from '../deps.ts';
import { openApiDocument, type RouteTable } from '../routeTable.ts';

export function systemRoutes(table: RouteTable, deps: ApiDeps): void {
  table.add({
    method: 'GET',
    url: '/healthz',
    tag: 'system',
    summary: 'Liveness: the process answers',
    roles: [],
    handler: async () => ({ status: 'ok' }),
  });
  table.add({
    method: 'GET',
    url: '/readyz',
    tag: 'system',
    summary:
      'Readiness: broker listening, state loaded and, with REDIS_URL, Redis connected (503 otherwise and while stopping)',
    roles: [],
    handler: async ({ reply }) => {
      const ready = deps.isReady();
      reply.code(ready ? 200 : 503);
      return reply.send({ ready });
    },
  });
  table.add({
    method: 'GET',
    url: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics (all, or only those named in `?name=a,b`)',
    roles: [],
    handler: async ({ reply, query }) => {
      reply.header('content-type', deps.metricsContentType);
      const names = query.name?.split(',').filter((n) => n !== '');
      return reply.send(await deps.metricsText(names));
    },
  });
  table.add({
    method: 'GET',
    url: '/docs',
    tag: 'system',
    summary: 'This OpenAPI document',
    roles: [],
    handler: async () => openApiDocument(table, deps.version),
  });
}
