import { z } from 'zod';
import type { Alert } from '../../alerting/alertModel.ts';
import { localDayKey, localDayStart } from '../../alerting/localTime.ts';
import { notFound } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { sharedNodeCounts } from '../live/sharedNodeCounts.ts';
import { wallSummary } from '../live/wallSummary.ts';
import { requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { wallAnswer } from '../schemas/wallAnswer.ts';
import { isoAt } from '../views.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;

/**
 * The command room's wall (issue 18.4): township tiles, the alert that has waited longest for a
 * person, and today's time to acknowledge, in one answer the wall page reads after each live event.
 */
export function wallRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, clock, alerting } = deps;
  const { engine } = alerting;
  const counts = sharedNodeCounts(deps);

  table.add({
    method: 'GET',
    url: '/api/wall',
    tag: 'live',
    summary:
      "The command room's wall for your scope (or ?gridId): a tile per township with unacknowledged alerts, breaches, seals offline and armed; the longest-waiting unacknowledged alerts; today's time to acknowledge (median, worst)",
    roles: ALL_ROLES,
    query: z.object({
      gridId: z
        .string()
        .optional()
        .meta({ description: 'the wall of this subtree (default: your whole scope)' }),
    }),
    answer: wallAnswer,
    handler: async ({ principal, query }) => {
      if (query.gridId !== undefined) {
        if (!registry.gridNode(query.gridId)) throw notFound('grid node', query.gridId);
        requireScope(registry.tree, principal, query.gridId, { what: 'grid node', id: query.gridId });
      }
      const rootId = query.gridId ?? principal.gridId;
      const now = clock.now();
      const tz = alerting.reports.tz;
      const dayStart = localDayStart(now, tz);
      const [perNode, openedToday] = await Promise.all([
        counts.get(),
        engine.openedBetween(dayStart, now + 1),
      ]);
      const summary = wallSummary({
        tree: registry.tree,
        rootId,
        counts: perNode,
        unresolved: engine.unresolved(),
        openedToday,
      });
      const waitingView = (a: Alert) => ({
        id: a.id,
        type: a.type,
        severity: a.severity as 'critical' | 'warning',
        openedAt: isoAt(a.openedAt),
        gridId: a.gridId,
        gridPath: engine.gridPathNames(a.gridId),
        address: engine.addressOf(a),
        assignee: a.assignee,
        assigneeName: a.assignee === null ? null : (registry.worker(a.assignee)?.name ?? null),
        escalationLevel: a.escalationLevel,
        count: a.count,
      });
      return {
        rootId,
        rootName: rootId === null ? null : (registry.gridNode(rootId)?.name ?? rootId),
        generatedAt: isoAt(now),
        day: localDayKey(now, tz),
        dayStart: isoAt(dayStart),
        timeZone: tz,
        tiles: summary.tiles,
        unacknowledged: summary.unacknowledged,
        waiting: summary.waiting.map(waitingView),
        timeToAck: summary.timeToAck,
      };
    },
  });
}
