import { z } from 'zod';
import { notFound } from '../../core/errors.ts';
import type { Sensor } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { oneOf, pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { doorHistoryAnswer, sealAnswer } from '../schemas/liveAnswers.ts';
import { isOnline, sealView } from '../views.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
const sensorId = pathParams('sensorId');

const sealQuery = pageQuery(10_000).extend({
  gridId: z.string().optional().meta({ description: 'only seals in this subtree' }),
  door: oneOf(['open', 'closed', 'unknown']).optional(),
  online: oneOf(['true', 'false']).optional(),
});
const historyQuery = z.object({ limit: pageQuery(1000).shape.limit });

export function sealRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, seals, clock } = deps;
  const { silences } = deps.alerting.engine;

  const sensorInScope = (principal: Parameters<typeof requireScope>[1], id: string) => {
    const sensor = registry.sensor(id);
    const gridId = sensor && registry.household(sensor.householdId)?.gridId;
    if (!sensor || !gridId) throw notFound('sensor', id);
    requireScope(registry.tree, principal, gridId, { what: 'sensor', id });
    return sensor;
  };

  table.add({
    method: 'GET',
    url: '/api/seals/:sensorId',
    tag: 'live',
    summary: 'The live state of one seal: door, online, armed, battery, last seen',
    roles: ALL_ROLES,
    params: sensorId,
    answer: sealAnswer,
    handler: async ({ params, principal }) => {
      const sensor = sensorInScope(principal, params.sensorId);
      const now = clock.now();
      return sealView(registry, sensor, seals.state(sensor.id), now, silences.of(sensor.id, now));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/seals',
    tag: 'live',
    summary: 'Live seal states in your scope (?gridId=, ?door=open|closed|unknown, ?online=true|false)',
    roles: ALL_ROLES,
    query: sealQuery,
    answer: pageOf(sealAnswer),
    handler: async ({ principal, query }) => {
      const now = clock.now();
      const { door, online } = query;
      if (query.gridId !== undefined) {
        if (!registry.gridNode(query.gridId)) throw notFound('grid node', query.gridId);
        requireScope(registry.tree, principal, query.gridId, { what: 'grid node', id: query.gridId });
      }
      // Walk only the subtree asked for (its nodes' households' sensors), filter on the state, render only the page.
      const root = query.gridId ?? principal.gridId;
      function* matches(): Generator<Sensor> {
        for (const { sensor } of registry.sensorsUnder(root)) {
          if (door !== undefined || online !== undefined) {
            const state = seals.state(sensor.id);
            if (door !== undefined && (state?.door ?? 'unknown') !== door) continue;
            if (
              online !== undefined &&
              String(isOnline(state, now, registry.offlineAfterMs(sensor))) !== online
            )
              continue;
          }
          yield sensor;
        }
      }
      // The whole grid unfiltered: the total is the registry's count, so the walk stops at the page's end.
      const everything = root === null && door === undefined && online === undefined;
      return paginate(
        matches(),
        query,
        (sensor) => sealView(registry, sensor, seals.state(sensor.id), now, silences.of(sensor.id, now)),
        everything ? registry.sensorCount : undefined,
      );
    },
  });

  table.add({
    method: 'GET',
    url: '/api/seals/:sensorId/history',
    tag: 'live',
    summary: 'Door history of one seal, newest first (?limit=)',
    roles: ALL_ROLES,
    params: sensorId,
    query: historyQuery,
    answer: doorHistoryAnswer,
    handler: async ({ params, principal, query }) => {
      const sensor = sensorInScope(principal, params.sensorId);
      return { items: await deps.doorHistory(sensor.id, query.limit) };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/households/:householdId/history',
    tag: 'live',
    summary:
      "Door history of a household's doors, every sensor's, newest first (?limit=): unbroken when a sensor is replaced",
    roles: ALL_ROLES,
    params: pathParams('householdId'),
    query: historyQuery,
    answer: doorHistoryAnswer,
    handler: async ({ params, principal, query }) => {
      const household = registry.household(params.householdId);
      if (!household) throw notFound('household', params.householdId);
      requireScope(registry.tree, principal, household.gridId, { what: 'household', id: household.id });
      return { items: await deps.householdDoorHistory(household.id, query.limit) };
    },
  });
}
