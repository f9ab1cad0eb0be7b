/**
 * Carrier platform applications (CTWing, OneNET): the credentials NB-IoT platforms push our seals'
 * messages under, scoped like gateways: a caller sees and changes only applications whose sensors
 * are all in their grid scope. The token is shown once, in the create answer.
 */
import type { z } from 'zod';
import { invalid, notFound } from '../../core/errors.ts';
import { createPlatformAppBody, type PlatformApp } from '../../registry/platformAppSchemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { newPlatformAppAnswer, platformAppAnswer } from '../schemas/platformAppAnswers.ts';
import { isoAt } from '../views.ts';

const view = (a: PlatformApp): z.input<typeof platformAppAnswer> => ({
  id: a.id,
  platform: a.platform,
  name: a.name,
  sensorIds: a.sensorIds,
  devices: a.devices,
  createdAt: isoAt(a.createdAt),
});

export function platformAppRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry } = deps;
  const sensorInScope = (principal: Principal, id: string) => {
    const gridId = registry.placement(id)?.gridId;
    return gridId !== undefined && inScope(registry.tree, principal, gridId);
  };
  /** An application with no sensors belongs to whole-grid callers only, as a gateway does. */
  const appInScope = (principal: Principal, a: PlatformApp) =>
    principal.gridId === null ||
    (a.sensorIds.length > 0 && a.sensorIds.every((id) => sensorInScope(principal, id)));

  table.add({
    method: 'POST',
    url: '/api/platform-apps',
    tag: 'platforms',
    summary:
      'Register a carrier platform application (ctwing or onenet) that pushes for a listed set of sensors; the token is shown only here',
    roles: ['admin', 'technician'],
    body: createPlatformAppBody,
    status: 201,
    answer: newPlatformAppAnswer,
    conflict: 'a platform application with this id already exists',
    handler: async ({ body, principal }) => {
      // Sensors outside the caller's scope are refused as unknown ones are, in the same words.
      const named = [...body.sensorIds, ...Object.values(body.devices ?? {})];
      const unknown = [...new Set(named)].filter((id) => !sensorInScope(principal, id));
      if (unknown.length > 0)
        throw invalid(`unknown sensors: ${unknown.slice(0, 10).join(', ')}`, { unknown });
      const { app, token } = await registry.createPlatformApp(body, principal);
      return { ...view(app), token };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/platform-apps',
    tag: 'platforms',
    summary: 'List carrier platform applications (without tokens) whose sensors are all in your scope',
    roles: ['admin', 'technician'],
    query: pageQuery(1000),
    answer: pageOf(platformAppAnswer),
    handler: async ({ principal, query }) =>
      paginate(
        registry.allPlatformApps().filter((a) => appInScope(principal, a)),
        query,
        view,
      ),
  });

  table.add({
    method: 'DELETE',
    url: '/api/platform-apps/:appId',
    tag: 'platforms',
    summary: "Remove a carrier platform application: the platform's pushes under it are refused at once",
    roles: ['admin', 'technician'],
    params: pathParams('appId'),
    answer: platformAppAnswer,
    handler: async ({ params, principal }) => {
      const app = registry.platformApp(params.appId);
      if (!app || !appInScope(principal, app)) throw notFound('platform application', params.appId);
      return view(await registry.deletePlatformApp(app.id, principal));
    },
  });
}
