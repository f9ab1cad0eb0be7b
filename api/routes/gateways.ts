import type { z } from 'zod';
import { invalid, notFound } from '../../core/errors.ts';
import { createGatewayBody, type Gateway, updateGatewayBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { noBody, pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { gatewayAnswer, newGatewayAnswer } from '../schemas/registryAnswers.ts';
import { isoAt } from '../views.ts';

const gatewayId = pathParams('gatewayId');

const gatewayView = (g: Gateway): z.input<typeof gatewayAnswer> => ({
  id: g.id,
  name: g.name,
  sensorIds: g.sensorIds,
  createdAt: isoAt(g.createdAt),
});

/**
 * Gateway credentials: one login that publishes for a list of sensors (a Zigbee2MQTT bridge, a LoRa
 * or NB-IoT gateway). Register, list, change the sensor list, replace the secret, remove. Every
 * change is recorded in the audit trail with the caller and the time.
 */
export function gatewayRoutes(table: RouteTable, { registry }: ApiDeps): void {
  const sensorInScope = (principal: Principal, sensorId: string) => {
    const gridId = registry.placement(sensorId)?.gridId;
    return gridId !== undefined && inScope(registry.tree, principal, gridId);
  };
  /** A scoped caller sees a gateway whose sensors are all in its subtree; an empty one only whole-grid callers. */
  const visible = (principal: Principal, g: Gateway) =>
    principal.gridId === null ||
    (g.sensorIds.length > 0 && g.sensorIds.every((id) => sensorInScope(principal, id)));
  /** Outside the caller's scope answers as an unknown gateway (see requireScope). */
  const gatewayInScope = (principal: Principal, id: string) => {
    const g = registry.gateway(id);
    if (!g || !visible(principal, g)) throw notFound('gateway', id);
    return g;
  };
  /** Sensors outside the caller's scope are refused as unknown ones are, in the same words. */
  const requireSensorsInScope = (principal: Principal, sensorIds: readonly string[]) => {
    const unknown = sensorIds.filter((id) => !sensorInScope(principal, id));
    if (unknown.length > 0) throw invalid(`unknown sensors: ${unknown.slice(0, 10).join(', ')}`, { unknown });
  };

  table.add({
    method: 'POST',
    url: '/api/gateways',
    tag: 'registry',
    summary:
      'Register a gateway credential that publishes for a listed set of sensors; the secret is shown only here',
    roles: ['admin', 'technician'],
    body: createGatewayBody,
    status: 201,
    answer: newGatewayAnswer,
    conflict: 'a gateway or sensor with this id already exists',
    handler: async ({ body, principal }) => {
      requireSensorsInScope(principal, body.sensorIds);
      const { gateway, secret } = await registry.createGateway(body, principal);
      return { ...gatewayView(gateway), secret };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/gateways',
    tag: 'registry',
    summary:
      'List gateway credentials (without secrets) whose sensors are all in your scope; a gateway with no sensors only to whole-grid callers',
    roles: ['admin', 'technician'],
    query: pageQuery(1000),
    answer: pageOf(gatewayAnswer),
    handler: async ({ principal, query }) =>
      paginate(
        registry.allGateways().filter((g) => visible(principal, g)),
        query,
        gatewayView,
      ),
  });

  table.add({
    method: 'PATCH',
    url: '/api/gateways/:gatewayId',
    tag: 'registry',
    summary:
      "Change a gateway's name or its sensor list (the list is replaced); a connected gateway publishes for the new list at once",
    roles: ['admin', 'technician'],
    params: gatewayId,
    body: updateGatewayBody,
    answer: gatewayAnswer,
    handler: async ({ params, body, principal }) => {
      gatewayInScope(principal, params.gatewayId);
      if (body.sensorIds) requireSensorsInScope(principal, body.sensorIds);
      return gatewayView(await registry.updateGateway(params.gatewayId, body, principal));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/gateways/:gatewayId/secret',
    tag: 'registry',
    summary:
      "Replace a gateway's secret (takes no body): the old one is refused at once and the gateway's open session is closed; the new secret is shown only here",
    roles: ['admin', 'technician'],
    params: gatewayId,
    body: noBody,
    bodyOptional: true,
    answer: newGatewayAnswer,
    handler: async ({ params, principal }) => {
      gatewayInScope(principal, params.gatewayId);
      const { gateway, secret } = await registry.replaceGatewaySecret(params.gatewayId, principal);
      return { ...gatewayView(gateway), secret };
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/gateways/:gatewayId',
    tag: 'registry',
    summary:
      'Remove a gateway credential: it can no longer log in and its open session is closed; its sensors stay registered',
    roles: ['admin', 'technician'],
    params: gatewayId,
    answer: gatewayAnswer,
    handler: async ({ params, principal }) => {
      gatewayInScope(principal, params.gatewayId);
      return gatewayView(await registry.deleteGateway(params.gatewayId, principal));
    },
  });
}
