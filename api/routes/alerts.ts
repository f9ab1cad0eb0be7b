import { z } from 'zod';
import { ALERT_TYPES, OUTCOMES } from '../../alerting/alertModel.ts';
import type { AlertQuery } from '../../alerting/alertStore.ts';
import { invalid, notFound, ServiceError } from '../../core/errors.ts';
import { isoTime, plainText } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import type { Principal } from '../principal.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import {
  ALERT_STATUSES,
  alertAnswer,
  alertDetailAnswer,
  alertListAnswer,
  reportRunAnswer,
} from '../schemas/alertAnswers.ts';
import { noBody, oneOf, pageQuery, pathParams } from '../schemas/common.ts';

export const ackBody = z.object({ note: plainText(2000, { min: 0, multiline: true }).optional() });
export const resolveBody = z.object({
  outcome: z.enum(OUTCOMES as readonly [string, ...string[]]),
  note: plainText(2000, { multiline: true }),
});

export const assignBody = z.object({
  workerId: z.string().min(1).max(200).meta({ description: 'the worker who takes the alert over' }),
});
export const commentBody = z.object({ note: plainText(2000, { multiline: true }) });

const alertQuery = pageQuery(10_000, 1000).extend({
  status: oneOf([...ALERT_STATUSES, 'all'] as const)
    .optional()
    .meta({ description: 'open, acknowledged, resolved, or all (the default)' }),
  type: oneOf(ALERT_TYPES as readonly [string, ...string[]]).optional(),
  gridId: z.string().optional().meta({ description: 'only alerts in this subtree' }),
  sensorId: z.string().max(200).optional().meta({ description: "only this sensor's alerts" }),
  householdId: z.string().max(200).optional().meta({ description: "only this household's alerts" }),
  from: isoTime.optional().meta({ description: 'opened at or after this time' }),
  to: isoTime.optional().meta({ description: 'opened before this time' }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'free text in the notes, comments, outcome and address' }),
});
const alertId = pathParams('id');
const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
const RESOLVED = 'the alert is already resolved';

/**
 * Alerts: the list and the history search in scope, one with its history and deliveries, acknowledge,
 * resolve, assign, comment; the daily report.
 */
export function alertRoutes(table: RouteTable, { registry, alerting }: ApiDeps): void {
  const { engine } = alerting;
  /** Households in the caller's scope whose address holds the text (the search's address part). */
  const addressMatches = (text: string, principal: Principal): string[] => {
    const needle = text.toLowerCase();
    return registry
      .allHouseholds()
      .filter((h) => h.address?.toLowerCase().includes(needle) && inScope(registry.tree, principal, h.gridId))
      .map((h) => h.id);
  };
  const scoped = async (id: string, principal: Principal) => {
    const a = await engine.getAlert(id);
    requireScope(registry.tree, principal, a.gridId, { what: 'alert', id });
    return a;
  };

  table.add({
    method: 'GET',
    url: '/api/alerts',
    tag: 'alerts',
    summary:
      'Alerts in your scope, newest first, as a JSON array (not a page object; the whole count in the x-total-count header): the open queue, or the history searched by status, type, subtree, sensor, household, time and free text',
    roles: ALL_ROLES,
    query: alertQuery,
    answer: alertListAnswer,
    handler: async ({ query, principal, reply }) => {
      const { status, type, gridId, limit, offset } = query;
      if (gridId !== undefined) {
        if (!registry.gridNode(gridId)) throw notFound('grid node', gridId);
        requireScope(registry.tree, principal, gridId, { what: 'grid node', id: gridId });
      }
      const search: AlertQuery = {
        ...(status && status !== 'all' ? { status } : {}),
        ...(type ? { type: type as (typeof ALERT_TYPES)[number] } : {}),
        ...(query.sensorId !== undefined ? { sensorId: query.sensorId } : {}),
        ...(query.householdId !== undefined ? { householdId: query.householdId } : {}),
        ...(query.from !== undefined ? { openedFrom: query.from } : {}),
        ...(query.to !== undefined ? { openedTo: query.to } : {}),
        ...(query.q !== undefined
          ? { text: query.q, textHouseholdIds: addressMatches(query.q, principal) }
          : {}),
      };
      // The caller's subtree, or the one asked for inside it; the whole grid needs no filter.
      const root = gridId ?? principal.gridId;
      if (root !== null) search.gridIds = [...registry.tree.subtree(root)].map((n) => n.id);
      const page = await engine.searchAlerts(search, { offset, limit });
      // As the other lists: the answer is the array itself, the whole count goes in a header.
      reply.header('x-total-count', String(page.total));
      return page.items.map((a) => engine.view(a));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/alerts/:id',
    tag: 'alerts',
    summary: 'One alert with its change history (time, actor) and the status of each delivery',
    roles: ALL_ROLES,
    params: alertId,
    answer: alertDetailAnswer,
    handler: async ({ params, principal }) => {
      await scoped(params.id, principal);
      return engine.detail(params.id);
    },
  });

  table.add({
    method: 'POST',
    url: '/api/alerts/:id/ack',
    tag: 'alerts',
    summary: 'Acknowledge an alert (stops its escalation); the body {"note"?} may be left out',
    roles: ALL_ROLES,
    params: alertId,
    body: ackBody,
    bodyOptional: true,
    answer: alertAnswer,
    conflict: RESOLVED,
    handler: async ({ params, principal, body }) => {
      await scoped(params.id, principal);
      return engine.view(await engine.acknowledge(params.id, principal.name, body.note || undefined));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/alerts/:id/resolve',
    tag: 'alerts',
    summary:
      'Resolve an alert with an outcome (visited, falseAlarm, violationConfirmed, sensorFault) and a note',
    roles: ALL_ROLES,
    params: alertId,
    body: resolveBody,
    answer: alertAnswer,
    conflict: RESOLVED,
    handler: async ({ params, principal, body }) => {
      await scoped(params.id, principal);
      return engine.view(await engine.resolve(params.id, body, principal.name));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/alerts/:id/assign',
    tag: 'alerts',
    summary:
      "Give an alert to another worker, who is notified at once on their channels; an open alert's escalation restarts for them (the next level one first step from now). The worker's grid node must hold the alert (it or one above it)",
    roles: ['admin', 'monitor', 'worker'],
    params: alertId,
    body: assignBody,
    answer: alertAnswer,
    conflict: `${RESOLVED}, or already assigned to that worker`,
    handler: async ({ params, principal, body }) => {
      const a = await scoped(params.id, principal);
      const worker = registry.worker(body.workerId);
      // A worker outside the caller's subtree answers as an unknown one: no ids leak across grids.
      if (!worker || !inScope(registry.tree, principal, worker.gridId))
        throw invalid(`unknown worker '${body.workerId}'`, { workerId: body.workerId });
      if (!registry.tree.isWithin(a.gridId, worker.gridId))
        throw invalid(
          `worker '${worker.id}' cannot take this alert: their grid node does not hold it (choose a worker of its node or one above it)`,
          { workerId: worker.id },
        );
      return engine.view(await engine.assign(params.id, worker, principal.name));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/alerts/:id/comment',
    tag: 'alerts',
    summary:
      "Add a note to an alert's history (who and when are recorded); answers the alert with its history",
    roles: ALL_ROLES,
    params: alertId,
    body: commentBody,
    answer: alertDetailAnswer,
    handler: async ({ params, principal, body }) => {
      await scoped(params.id, principal);
      await engine.comment(params.id, body.note, principal.name);
      return engine.detail(params.id);
    },
  });

  table.add({
    method: 'POST',
    url: '/api/reports/daily/run',
    tag: 'alerts',
    summary: 'Send the daily report now (every grid node contact, for their subtree); takes no body',
    roles: ['admin'],
    body: noBody,
    bodyOptional: true,
    answer: reportRunAnswer,
    handler: async ({ principal }) => {
      if (principal.gridId !== null)
        throw new ServiceError('forbidden', 'only a whole-grid admin may do this');
      return alerting.report.run(true);
    },
  });
}
