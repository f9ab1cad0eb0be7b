import { z } from 'zod';
import { ALERT_TYPES, OUTCOMES } from '../../alerting/alertModel.ts';
import { notFound, ServiceError } from '../../core/errors.ts';
import { plainText } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
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

const alertQuery = pageQuery(10_000, 1000).extend({
  status: oneOf(ALERT_STATUSES).optional(),
  type: oneOf(ALERT_TYPES as readonly [string, ...string[]]).optional(),
  gridId: z.string().optional().meta({ description: 'only alerts in this subtree' }),
});
const alertId = pathParams('id');
const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
const RESOLVED = 'the alert is already resolved';

/** Alerts: list in scope, one with its history and deliveries, acknowledge, resolve; the daily report. */
export function alertRoutes(table: RouteTable, { registry, alerting }: ApiDeps): void {
  const { engine } = alerting;
  const scoped = async (id: string, principal: Parameters<typeof requireScope>[1]) => {
    const a = await engine.getAlert(id);
    requireScope(registry.tree, principal, a.gridId, { what: 'alert', id });
    return a;
  };

  table.add({
    method: 'GET',
    url: '/api/alerts',
    tag: 'alerts',
    summary: 'Alerts in your scope, newest first, as a JSON array (not a page object)',
    roles: ALL_ROLES,
    query: alertQuery,
    answer: alertListAnswer,
    handler: async ({ query, principal }) => {
      const { status, type, gridId, limit, offset } = query;
      if (gridId !== undefined) {
        if (!registry.gridNode(gridId)) throw notFound('grid node', gridId);
        requireScope(registry.tree, principal, gridId, { what: 'grid node', id: gridId });
      }
      const filter = {
        ...(status ? { status } : {}),
        ...(type ? { type: type as (typeof ALERT_TYPES)[number] } : {}),
      };
      const visible = (a: { gridId: string }) =>
        inScope(registry.tree, principal, a.gridId) &&
        (gridId === undefined || registry.tree.isWithin(a.gridId, gridId));
      return (await engine.alertsPage(filter, visible, offset, limit)).map((a) => engine.view(a));
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
