import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';

const isoOrNull = z.string().nullable();
const readyAnswer = z.object({
  ready: z.boolean(),
  /** What an operator looks at besides readiness; never makes the answer 503. */
  details: z
    .object({
      backup: z
        .object({
          lastAttemptAt: isoOrNull,
          ok: z.boolean().nullable(),
          file: z.string().nullable(),
          error: z.string().nullable(),
          lastSuccessAt: isoOrNull,
          nextAt: isoOrNull,
        })
        .meta({ description: 'the scheduled backups (BACKUP_DIR): the last one and the next' }),
    })
    .partial()
    .optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Health, readiness and metrics. The OpenAPI page and document (/docs, /docs/json) are api/openApi.ts. */
export function systemRoutes(table: RouteTable, deps: ApiDeps): void {
  table.add({
    method: 'GET',
    url: '/healthz',
    tag: 'system',
    summary: 'Liveness: the process answers',
    roles: [],
    answer: z.object({ status: z.literal('ok') }),
    handler: async () => ({ status: 'ok' as const }),
  });
  table.add({
    method: 'GET',
    url: '/readyz',
    tag: 'system',
    summary:
      'Readiness: broker listening, state loaded and, with REDIS_URL, Redis connected (503 otherwise and while stopping); details: the last scheduled backup',
    roles: [],
    answer: readyAnswer,
    otherAnswers: { 503: { description: 'not ready (yet, or any more)', answer: readyAnswer } },
    handler: async ({ reply }) => {
      const ready = deps.isReady();
      reply.code(ready ? 200 : 503);
      const b = deps.backups;
      if (!b) return reply.send({ ready });
      const backup = {
        lastAttemptAt: iso(b.lastAttemptAt),
        ok: b.lastOk,
        file: b.lastFile,
        error: b.lastError,
        lastSuccessAt: iso(b.lastSuccessAt),
        nextAt: iso(b.nextAt()),
      };
      return reply.send({ ready, details: { backup } });
    },
  });
  table.add({
    method: 'GET',
    url: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics (all, or only those named in `?name=a,b`)',
    roles: [],
    query: z.object({
      name: z.string().optional().meta({ description: 'comma-separated metric names: only those' }),
    }),
    answer: { contentType: 'text/plain', description: 'the Prometheus text format' },
    handler: async ({ reply, query }) => {
      reply.header('content-type', deps.metricsContentType);
      const names = query.name?.split(',').filter((n) => n !== '');
      return reply.send(await deps.metricsText(names));
    },
  });
}
