import { z } from 'zod';
import { notFound } from '../../core/errors.ts';
import { createSensorBody, replaceSensorBody, updateSensorBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { noBody, pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { newSensorAnswer, sensorAnswer } from '../schemas/registryAnswers.ts';
import { sensorView } from '../views.ts';

const sensorId = pathParams('sensorId');
const FRIENDLY_NAME_TAKEN = 'the friendly name is already bound to another sensor';

const replacedAnswer = newSensorAnswer.extend({
  replaced: z.string().meta({ description: 'the id of the sensor taken off the door' }),
});
const batteryAnswer = z.object({
  sensorId: z.string(),
  resolvedAlertId: z
    .string()
    .nullable()
    .meta({ description: 'the low-battery alert this closed (batteryReplaced); null: none was open' }),
});

export function sensorRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, clock } = deps;

  const sensorInScope = (principal: Principal, sensorId: string) => {
    const placement = registry.placement(sensorId);
    const sensor = registry.sensor(sensorId);
    if (!placement || !sensor) throw notFound('sensor', sensorId);
    requireScope(registry.tree, principal, placement.gridId, { what: 'sensor', id: sensorId });
    return sensor;
  };

  table.add({
    method: 'POST',
    url: '/api/sensors',
    tag: 'registry',
    summary: 'Register a sensor to a household; the answer holds its device secret, shown only here',
    roles: ['admin', 'technician'],
    body: createSensorBody,
    status: 201,
    answer: newSensorAnswer,
    conflict: `a sensor with this id already exists, or ${FRIENDLY_NAME_TAKEN}`,
    handler: async ({ body, principal }) => {
      const household = registry.household(body.householdId);
      if (household)
        requireScope(registry.tree, principal, household.gridId, { what: 'household', id: household.id });
      const { sensor, secret } = await registry.createSensor(body, principal);
      return { ...sensorView(sensor, clock.now()), secret };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/sensors',
    tag: 'registry',
    summary: 'List sensors in your scope',
    roles: ['admin', 'monitor', 'technician', 'worker'],
    query: pageQuery(1000),
    answer: pageOf(sensorAnswer),
    handler: async ({ principal, query }) => {
      const now = clock.now();
      return paginate(
        registry.allSensors().filter((s) => {
          const gridId = registry.household(s.householdId)?.gridId;
          return gridId !== undefined && inScope(registry.tree, principal, gridId);
        }),
        query,
        (s) => sensorView(s, now),
      );
    },
  });

  table.add({
    method: 'GET',
    url: '/api/sensors/:sensorId',
    tag: 'registry',
    summary:
      'One sensor in your scope (model, friendly name, commissioning; never its secret); outside your scope it answers 404, as an unknown one',
    roles: ['admin', 'monitor', 'technician', 'worker'],
    params: sensorId,
    answer: sensorAnswer,
    // Out of scope is 404, as unknown (requireScope): a caller must not learn which ids exist elsewhere.
    handler: async ({ params, principal }) =>
      sensorView(sensorInScope(principal, params.sensorId), clock.now()),
  });

  table.add({
    method: 'PATCH',
    url: '/api/sensors/:sensorId',
    tag: 'registry',
    summary:
      "Change a sensor's model or friendly name (null clears it); to move it to another household, remove and register it again",
    roles: ['admin', 'technician'],
    params: sensorId,
    body: updateSensorBody,
    answer: sensorAnswer,
    conflict: FRIENDLY_NAME_TAKEN,
    handler: async ({ body, params, principal }) => {
      sensorInScope(principal, params.sensorId);
      return sensorView(await registry.updateSensor(params.sensorId, body, principal), clock.now());
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/sensors/:sensorId',
    tag: 'registry',
    summary:
      'Take a sensor off a door: it can no longer log in or publish, its live state goes and its open alerts resolve (sensorRemoved); door history stays',
    roles: ['admin', 'technician'],
    params: sensorId,
    answer: sensorAnswer,
    handler: async ({ params, principal }) => {
      sensorInScope(principal, params.sensorId);
      return sensorView(await registry.deleteSensor(params.sensorId, principal), clock.now());
    },
  });

  table.add({
    method: 'POST',
    url: '/api/sensors/:sensorId/replace',
    tag: 'registry',
    summary:
      "Replace a sensor on its door by a new one (issue 16.5): the new one takes the household, model, friendly name (unless given) and gateway memberships; the old one can no longer log in and its open alerts resolve (sensorReplaced); the household's door history carries on. The new secret is shown only here",
    roles: ['admin', 'technician'],
    params: sensorId,
    body: replaceSensorBody,
    status: 201,
    answer: replacedAnswer,
    conflict: `a sensor with the new id already exists, or ${FRIENDLY_NAME_TAKEN}`,
    handler: async ({ params, body, principal }) => {
      sensorInScope(principal, params.sensorId);
      const { sensor, secret, replaced } = await registry.replaceSensor(params.sensorId, body, principal);
      return { ...sensorView(sensor, clock.now()), secret, replaced: replaced.id };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/sensors/:sensorId/battery',
    tag: 'registry',
    summary:
      'A new battery was put in (takes no body): the open low-battery alert resolves (batteryReplaced) and the next low reading alerts again',
    roles: ['admin', 'technician'],
    params: sensorId,
    body: noBody,
    bodyOptional: true,
    answer: batteryAnswer,
    handler: async ({ params, principal }) => {
      sensorInScope(principal, params.sensorId);
      const { resolved } = await deps.alerting.engine.batteryReplaced(params.sensorId, principal.name);
      return { sensorId: params.sensorId, resolvedAlertId: resolved };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/sensors/:sensorId/commissioning',
    tag: 'commissioning',
    summary: 'Put a sensor in commissioning (no alerts, out of counts) for 30 minutes; takes no body',
    roles: ['admin', 'technician'],
    params: sensorId,
    body: noBody,
    bodyOptional: true,
    answer: sensorAnswer,
    handler: async ({ params, principal }) => {
      sensorInScope(principal, params.sensorId);
      const sensor = await registry.setCommissioning(
        params.sensorId,
        clock.now() + deps.commissioningMs,
        principal,
      );
      return sensorView(sensor, clock.now());
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/sensors/:sensorId/commissioning',
    tag: 'commissioning',
    summary: 'End commissioning now',
    roles: ['admin', 'technician'],
    params: sensorId,
    answer: sensorAnswer,
    handler: async ({ params, principal }) => {
      sensorInScope(principal, params.sensorId);
      const sensor = await registry.setCommissioning(params.sensorId, null, principal);
      return sensorView(sensor, clock.now());
    },
  });
}
