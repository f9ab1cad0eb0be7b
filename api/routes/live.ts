import type { ApiDeps } from '../deps.ts';
import { countByNode } from '../live/nodeCounts.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
const KEEPALIVE_MS = 15_000;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export function liveRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, clock } = deps;

  table.add({
    method: 'GET',
    url: '/api/overview',
    tag: 'live',
    summary:
      'The grid tree in your scope with counts per node for its subtree: households, sealed, open, offline, low battery, open alerts by type',
    roles: ALL_ROLES,
    handler: async ({ principal }) => {
      const counts = countByNode(registry, deps.seals, clock.now(), deps.offlineAfterMs, deps.openAlerts());
      const nodes = registry.tree
        .all()
        .filter((n) => inScope(registry.tree, principal, n.id))
        .map((n) => ({
          id: n.id,
          name: n.name,
          parentId: n.parentId,
          level: n.level,
          counts: counts.get(n.id),
        }));
      return { rootId: principal.gridId, generatedAt: new Date(clock.now()).toISOString(), nodes };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/events',
    tag: 'live',
    summary:
      'Server-sent events of seal and alert changes in your scope. Send Last-Event-ID to resume; a `reset` event means reload the state.',
    roles: ALL_ROLES,
    handler: async ({ principal, request, reply, query }) => {
      if (query.gridId !== undefined) requireScope(registry.tree, principal, query.gridId);
      const root = query.gridId ?? principal.gridId;
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : null;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n: connected ${new Date(clock.now()).toISOString()}\n\n`);
      const detach = deps.events.attach(
        {
          sees: (gridId) => gridId === null || registry.tree.isWithin(gridId, root),
          send: (frame) => {
            // A client that stops reading is cut off rather than buffered without bound;
            // it reconnects with Last-Event-ID and catches up from the ring.
            if (res.writableLength > MAX_BUFFERED_BYTES) {
              res.end();
              return false;
            }
            return res.write(frame);
          },
          close: () => res.end(),
        },
        lastEventId,
      );
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      request.raw.on('close', () => {
        clearInterval(keepalive);
        detach();
      });
    },
  });
}
