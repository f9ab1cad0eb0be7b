import { z } from 'zod';
import type { SensorSilence } from '../../alerting/alertStore.ts';
import { notFound } from '../../core/errors.ts';
import { auditEntry } from '../../registry/auditTrail.ts';
import { isoTime, plainText } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { noBody, pathParams } from '../schemas/common.ts';
import { silenceAnswer } from '../schemas/liveAnswers.ts';
import { sealView, silenceView } from '../views.ts';

export const silenceBody = z.object({
  until: isoTime.meta({
    description: 'when the silence ends by itself: in the future, at most 30 days ahead',
  }),
  reason: plainText(500).meta({ description: 'why: shown with the sensor wherever it is shown' }),
});

const sensorId = pathParams('sensorId');
const ROLES = ['admin', 'monitor', 'technician'] as const;

/**
 * Silencing a sensor (a seal under repair, a known fault): no alert of any kind from it until the
 * silence ends by itself, or is lifted. The alerting engine keeps it (alerting/engine/silences.ts);
 * the change and its audit entry are one transaction.
 */
export function silenceRoutes(
  table: RouteTable,
  { registry, alerting, clock, seals, events }: ApiDeps,
): void {
  const { engine } = alerting;
  const placed = (principal: Principal, id: string) => {
    const placement = registry.placement(id);
    if (!placement || !registry.sensor(id)) throw notFound('sensor', id);
    requireScope(registry.tree, principal, placement.gridId, { what: 'sensor', id });
    return placement.gridId;
  };
  /** The live page shows the seal silenced (or no longer) at once. */
  const showOnLivePage = (id: string, gridId: string) => {
    const sensor = registry.sensor(id);
    const now = clock.now();
    if (sensor)
      events.publish(
        'seal',
        gridId,
        sealView(registry, sensor, seals.state(id), now, engine.silences.of(id, now)),
      );
  };
  const audit = (
    principal: Principal,
    id: string,
    gridId: string,
    action: 'silence' | 'unsilence',
    before: SensorSilence | undefined,
    after: SensorSilence | undefined,
  ) =>
    auditEntry(
      clock.now(),
      principal,
      // The household's id: the reason is free text, so the entry goes with the household's privacy purge.
      { entity: 'sensor', entityId: id, action, gridId, householdId: registry.sensor(id)?.householdId },
      before ? silenceView(before) : null,
      after ? silenceView(after) : null,
    );

  table.add({
    method: 'POST',
    url: '/api/sensors/:sensorId/silence',
    tag: 'registry',
    summary:
      'Silence a sensor until a time (at most 30 days) with a reason: it raises no alert of any kind until then, then comes back by itself. A new silence replaces the one in force. Alerts already open stay open',
    roles: ROLES,
    params: sensorId,
    body: silenceBody,
    answer: silenceAnswer,
    handler: async ({ params, principal, body }) => {
      const gridId = placed(principal, params.sensorId);
      const s = await engine.silences.silence(
        { sensorId: params.sensorId, until: body.until, reason: body.reason, by: principal.name },
        (after, before) => audit(principal, params.sensorId, gridId, 'silence', before, after),
      );
      showOnLivePage(params.sensorId, gridId);
      return silenceView(s);
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/sensors/:sensorId/silence',
    tag: 'registry',
    summary: "Lift a sensor's silence now: its alerts are back at once. 404 when it is not silenced",
    roles: ROLES,
    params: sensorId,
    body: noBody,
    bodyOptional: true,
    answer: silenceAnswer,
    handler: async ({ params, principal }) => {
      const gridId = placed(principal, params.sensorId);
      const lifted = await engine.silences.lift(params.sensorId, (before) =>
        audit(principal, params.sensorId, gridId, 'unsilence', before, undefined),
      );
      if (!lifted) throw notFound('silence of sensor', params.sensorId);
      showOnLivePage(params.sensorId, gridId);
      return silenceView(lifted);
    },
  });
}
