import { notFound } from '../../core/errors.ts';
import { createQuarantineBody, createWindowBody, endQuarantineBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { inScope, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';
import { quarantineAnswer, scheduleAnswer, windowAnswer } from '../schemas/registryAnswers.ts';
import { quarantineView, windowView } from '../views.ts';

const OVERLAP = "the household's quarantines would overlap (the message names the other one)";

/** Quarantines arm a household's seals; windows (上门核酸, 送餐 …) disarm them for a while. */
export function scheduleRoutes(table: RouteTable, { registry }: ApiDeps): void {
  const householdGrid = (householdId: string) => registry.household(householdId)?.gridId;

  table.add({
    method: 'POST',
    url: '/api/quarantines',
    tag: 'schedules',
    summary: 'Start a home quarantine for a household (end optional)',
    roles: ['admin'],
    body: createQuarantineBody,
    status: 201,
    answer: quarantineAnswer,
    conflict: OVERLAP,
    handler: async ({ body, principal }) => {
      const gridId = householdGrid(body.householdId);
      if (gridId) requireScope(registry.tree, principal, gridId, { what: 'household', id: body.householdId });
      return quarantineView(await registry.createQuarantine(body, principal));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/windows',
    tag: 'schedules',
    summary:
      'Authorize a window (per grid node subtree or per household) during which opens are not breaches',
    roles: ['admin', 'monitor', 'worker'],
    body: createWindowBody,
    status: 201,
    answer: windowAnswer,
    handler: async ({ body, principal }) => {
      const gridId =
        body.gridId ?? (body.householdId !== undefined ? householdGrid(body.householdId) : undefined);
      const named =
        body.gridId !== undefined
          ? { what: 'grid node', id: body.gridId }
          : { what: 'household', id: body.householdId as string };
      if (gridId && registry.gridNode(gridId)) requireScope(registry.tree, principal, gridId, named);
      return windowView(await registry.createWindow(body, principal));
    },
  });

  table.add({
    method: 'PATCH',
    url: '/api/quarantines/:id',
    tag: 'schedules',
    summary: 'End a quarantine (household released): {"end": ISO time}; the seal is disarmed from then on',
    roles: ['admin'],
    params: pathParams('id'),
    body: endQuarantineBody,
    answer: quarantineAnswer,
    conflict: OVERLAP,
    handler: async ({ params, body, principal }) => {
      const q = registry.quarantine(params.id);
      if (!q) throw notFound('quarantine', params.id);
      const gridId = householdGrid(q.householdId);
      if (gridId) requireScope(registry.tree, principal, gridId, { what: 'quarantine', id: q.id });
      return quarantineView(await registry.endQuarantine(q.id, body.end, principal));
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/windows/:id',
    tag: 'schedules',
    summary: 'Cancel an authorized window: the households it covered are armed again at once',
    roles: ['admin', 'monitor', 'worker'],
    params: pathParams('id'),
    answer: windowAnswer,
    handler: async ({ params, principal }) => {
      const w = registry.window(params.id);
      if (!w) throw notFound('window', params.id);
      const gridId = w.gridId ?? (w.householdId !== null ? householdGrid(w.householdId) : undefined);
      if (gridId) requireScope(registry.tree, principal, gridId, { what: 'window', id: w.id });
      return windowView(await registry.cancelWindow(w.id, principal));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/households/:householdId/schedule',
    tag: 'schedules',
    summary: "A household's quarantines and the windows that apply to it",
    roles: ['admin', 'monitor', 'worker', 'technician'],
    params: pathParams('householdId'),
    answer: scheduleAnswer,
    handler: async ({ params, principal }) => {
      const gridId = householdGrid(params.householdId);
      if (!gridId) throw notFound('household', params.householdId);
      requireScope(registry.tree, principal, gridId, { what: 'household', id: params.householdId });
      const inputs = registry.armingInputs(params.householdId);
      return {
        quarantines: inputs.quarantines.map(quarantineView),
        windows: inputs.windows
          .filter((w) => !w.gridId || inScope(registry.tree, principal, w.gridId))
          .map(windowView),
      };
    },
  });
}
