import { invalid, notFound } from '../../core/errors.ts';
import type { Sensor } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { isOnline, sealView } from '../views.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;

export function sealRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, seals, clock } = deps;

  table.add({
    method: 'GET',
    url: '/api/seals/:sensorId',
    tag: 'live',
    summary: 'The live state of one seal: door, online, armed, battery, last seen',
    roles: ALL_ROLES,
    handler: async ({ params, principal }) => {
      const sensor = registry.sensor(params.sensorId as string);
      const gridId = sensor && registry.household(sensor.householdId)?.gridId;
      if (!sensor || !gridId) throw notFound('sensor', params.sensorId as string);
      requireScope(registry.tree, principal, gridId, { what: 'sensor', id: params.sensorId as string });
      return sealView(registry, sensor, seals.state(sensor.id), clock.now(), deps.offlineAfterMs);
    },
  });

  table.add({
    method: 'GET',
    url: '/api/seals',
    tag: 'live',
    summary: 'Live seal states in your scope (?gridId=, ?door=open|closed|unknown, ?online=true|false)',
    roles: ALL_ROLES,
    handler: async ({ principal, query }) => {
      const now = clock.now();
      if (query.gridId !== undefined) {
        if (!registry.gridNode(query.gridId)) throw notFound('grid node', query.gridId);
        requireScope(registry.tree, principal, query.gridId, { what: 'grid node', id: query.gridId });
      }
      if (query.door !== undefined && !['open', 'closed', 'unknown'].includes(query.door)) {
        throw invalid('door must be open, closed or unknown');
      }
      if (query.online !== undefined && !['true', 'false'].includes(query.online))
        throw invalid('online must be true or false');
      // Walk only the subtree asked for (its nodes' households' sensors), filter on the state, render only the page.
      const root = query.gridId ?? principal.gridId;
      function* matches(): Generator<Sensor> {
        for (const { sensor } of registry.sensorsUnder(root)) {
          if (query.door !== undefined || query.online !== undefined) {
            const state = seals.state(sensor.id);
            if (query.door !== undefined && (state?.door ?? 'unknown') !== query.door) continue;
            if (
              query.online !== undefined &&
              String(isOnline(state, now, deps.offlineAfterMs)) !== query.online
            )
              continue;
          }
          yield sensor;
        }
      }
      // The whole grid unfiltered: the total is the registry's count, so the walk stops at the page's end.
      const everything = root === null && query.door === undefined && query.online === undefined;
      return paginate(
        matches(),
        query,
        10_000,
        (sensor) => sealView(registry, sensor, seals.state(sensor.id), now, deps.offlineAfterMs),
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
    handler: async ({ params, principal, query }) => {
      const sensor = registry.sensor(params.sensorId as string);
      const gridId = sensor && registry.household(sensor.householdId)?.gridId;
      if (!sensor || !gridId) throw notFound('sensor', params.sensorId as string);
      requireScope(registry.tree, principal, gridId, { what: 'sensor', id: params.sensorId as string });
      const limit = query.limit === undefined ? 100 : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw invalid('limit must be a whole number from 1 to 1000');
      return { items: await deps.doorHistory(sensor.id, limit) };
    },
  });
}
