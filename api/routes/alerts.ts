import { z } from 'zod';
import { ALERT_TYPES, OUTCOMES } from '../../alerting/alertModel.ts';
import { invalid, notFound, ServiceError } from '../../core/errors.ts';
import { plainText } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { inScope, requireScope } from '../principal.ts';
import { parseBody, type RouteTable } from '../routeTable.ts';

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;

export const ackBody = z.object({ note: plainText(2000, { min: 0, multiline: true }).optional() });
export const resolveBody = z.object({
  outcome: z.enum(OUTCOMES as readonly [string, ...string[]]),
  note: plainText(2000, { multiline: true }),
});

/** Alerts: list in scope, one with its history and deliveries, acknowledge, resolve; the daily report. */
export function alertRoutes(table: RouteTable, { registry, alerting }: ApiDeps): void {
  const { engine } = alerting;
  const scoped = (id: string, principal: Parameters<typeof requireScope>[1]) => {
    const a = engine.getAlert(id);
    requireScope(registry.tree, principal, a.gridId, { what: 'alert', id });
    return a;
  };

  table.add({
    method: 'GET',
    url: '/api/alerts',
    tag: 'alerts',
    summary:
      'Alerts in your scope, newest first, as a JSON array: ?status=open|acknowledged|resolved&type=&gridId=&limit=&offset=',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ query, principal }) => {
      const status = query.status;
      if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
        throw invalid(`status must be one of ${STATUSES.join(', ')}`);
      const type = query.type;
      if (type !== undefined && !(ALERT_TYPES as readonly string[]).includes(type))
        throw invalid(`type must be one of ${ALERT_TYPES.join(', ')}`);
      const gridId = query.gridId;
      if (gridId !== undefined) {
        if (!registry.gridNode(gridId)) throw notFound('grid node', gridId);
        requireScope(registry.tree, principal, gridId, { what: 'grid node', id: gridId });
      }
      const limit = query.limit === undefined ? 1000 : Number(query.limit);
      const offset = query.offset === undefined ? 0 : Number(query.offset);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw invalid('limit must be a whole number from 1 to 10000');
      if (!Number.isInteger(offset) || offset < 0) throw invalid('offset must be a whole number ≥ 0');
      const filter = {
        ...(status ? { status: status as (typeof STATUSES)[number] } : {}),
        ...(type ? { type: type as (typeof ALERT_TYPES)[number] } : {}),
      };
      const visible = (a: { gridId: string }) =>
        inScope(registry.tree, principal, a.gridId) &&
        (gridId === undefined || registry.tree.isWithin(a.gridId, gridId));
      return engine.alertsPage(filter, visible, offset, limit).map((a) => engine.view(a));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/alerts/:id',
    tag: 'alerts',
    summary: 'One alert with its change history (time, actor) and the status of each delivery',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ params, principal }) => {
      scoped(params.id as string, principal);
      return engine.detail(params.id as string);
    },
  });

  table.add({
    method: 'POST',
    url: '/api/alerts/:id/ack',
    tag: 'alerts',
    summary: 'Acknowledge an alert (stops its escalation); body {"note"?} may be omitted',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ params, principal, request }) => {
      scoped(params.id as string, principal);
      const body = parseBody(ackBody, request.body ?? {});
      return engine.view(engine.acknowledge(params.id as string, principal.name, body.note || undefined));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/alerts/:id/resolve',
    tag: 'alerts',
    summary:
      'Resolve an alert with an outcome (visited, falseAlarm, violationConfirmed, sensorFault) and a note',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    body: resolveBody,
    handler: async ({ params, principal, body }) => {
      scoped(params.id as string, principal);
      return engine.view(engine.resolve(params.id as string, body, principal.name));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/reports/daily/run',
    tag: 'alerts',
    summary: 'Send the daily report now (every grid node contact, for their subtree)',
    roles: ['admin'],
    handler: async ({ principal }) => {
      if (principal.gridId !== null)
        throw new ServiceError('forbidden', 'only a whole-grid admin may do this');
      return alerting.report.run(true);
    },
  });
}
