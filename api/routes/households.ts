import { z } from 'zod';
import { createHouseholdBody, type Household, updateHouseholdBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { householdInScope as householdScoped, householdsInScope } from '../householdScope.ts';
import { paginate } from '../paginate.ts';
import { type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { householdAnswer, removedHouseholdAnswer } from '../schemas/registryAnswers.ts';
import { householdView } from '../views.ts';

const householdId = pathParams('householdId');

export function householdRoutes(table: RouteTable, { registry, clock }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/households',
    tag: 'registry',
    summary: 'Create a household at a grid node',
    roles: ['admin'],
    body: createHouseholdBody,
    status: 201,
    answer: householdAnswer,
    conflict: 'a household with this id already exists',
    handler: async ({ body, principal }) => {
      if (registry.gridNode(body.gridId))
        requireScope(registry.tree, principal, body.gridId, { what: 'grid node', id: body.gridId });
      // A new household has no quarantine yet: not armed.
      return householdView(await registry.createHousehold(body, principal), false);
    },
  });
  table.add({
    method: 'GET',
    url: '/api/households',
    tag: 'registry',
    summary: 'List households in your scope (?gridId= for one subtree)',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    query: pageQuery(1000).extend({
      gridId: z.string().optional().meta({ description: 'only households in this subtree' }),
    }),
    answer: pageOf(householdAnswer),
    handler: async ({ principal, query }) => {
      const now = clock.now();
      return paginate(householdsInScope(registry, principal, query.gridId), query, (h) =>
        householdView(h, registry.isArmed(h.id, now)),
      );
    },
  });

  const householdInScope = (principal: Principal, id: string): Household =>
    householdScoped(registry, principal, id);

  table.add({
    method: 'PATCH',
    url: '/api/households/:householdId',
    tag: 'registry',
    summary:
      'Correct a household: address, contact (null clears it) or grid node; open alerts keep the node they were raised at',
    roles: ['admin'],
    params: householdId,
    body: updateHouseholdBody,
    answer: householdAnswer,
    conflict: "the household's personal data was purged after its quarantine: register it again",
    handler: async ({ body, params, principal }) => {
      householdInScope(principal, params.householdId);
      if (body.gridId !== undefined && registry.gridNode(body.gridId))
        requireScope(registry.tree, principal, body.gridId, { what: 'grid node', id: body.gridId });
      const h = await registry.updateHousehold(params.householdId, body, principal);
      return householdView(h, registry.isArmed(h.id, clock.now()));
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/households/:householdId',
    tag: 'registry',
    summary:
      'Remove a household registered by mistake, with its quarantines, windows and door history; one with sensors is refused (409)',
    roles: ['admin'],
    params: householdId,
    answer: removedHouseholdAnswer,
    conflict: 'the household still has sensors: remove them first',
    handler: async ({ params, principal }) => {
      householdInScope(principal, params.householdId);
      const { household, doorEvents } = await registry.deleteHousehold(params.householdId, principal);
      return { ...householdView(household, false), doorEventsDeleted: doorEvents };
    },
  });
}
