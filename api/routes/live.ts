import { z } from 'zod';
import { atTime } from '../../core/clock.ts';
import { notFound } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { sharedNodeCounts } from '../live/sharedNodeCounts.ts';
import { SseConnection } from '../live/sseConnection.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { overviewAnswer } from '../schemas/liveAnswers.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
const KEEPALIVE_MS = 15_000;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export function liveRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, clock } = deps;
  const overviewCounts = sharedNodeCounts(deps);

  table.add({
    method: 'GET',
    url: '/api/overview',
    tag: 'live',
    summary:
      'The grid tree in your scope with counts per node for its subtree: households, sealed, open, offline, low battery, open alerts by type',
    roles: ALL_ROLES,
    answer: overviewAnswer,
    handler: async ({ principal }) => {
      const counts = await overviewCounts.get();
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
    query: z.object({
      gridId: z.string().optional().meta({ description: 'only this subtree (default: your whole scope)' }),
    }),
    answer: {
      contentType: 'text/event-stream',
      description:
        'events `seal`, `alert`, `announcement` (an opening announced) and `reset`, each with an id to resume from (Last-Event-ID)',
    },
    handler: async ({ principal, request, reply, query }) => {
      if (query.gridId !== undefined) {
        if (!registry.gridNode(query.gridId)) throw notFound('grid node', query.gridId);
        requireScope(registry.tree, principal, query.gridId, { what: 'grid node', id: query.gridId });
      }
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
      let detach = () => {};
      const connection = new SseConnection(
        res,
        {
          scope: root,
          tokenId: principal.tokenId,
          sees: (gridId) => root === null || registry.tree.isWithin(gridId, root),
          maxBufferedBytes: MAX_BUFFERED_BYTES,
          onEnd: (reason) => {
            clearInterval(keepalive);
            cancelExpiry();
            detach();
            if (reason === 'cutOff')
              request.log.warn(
                { tokenId: principal.tokenId },
                'event stream cut off: the client stopped reading',
              );
          },
        },
        () => registry.tree.version,
      );
      const keepalive = setInterval(() => connection.keepalive(), KEEPALIVE_MS);
      // The token answers 401 once it expires: its stream ends then too (a revocation ends it
      // through EventStream.closeToken).
      const cancelExpiry =
        principal.expiresAt === null
          ? () => {}
          : atTime(clock, principal.expiresAt, () => connection.close());
      detach = deps.events.attach(connection, lastEventId);
      if (connection.isEnded) detach();
      // Hijacked: Fastify sends nothing more; the stream is the connection's own.
      return reply;
    },
  });
}
