/**
 * Sensor models (device profiles): one catalog for the whole grid, so not scoped to a subtree.
 * Anyone signed in reads it; an admin adds a model (it changes no sensor until one names it); only
 * a whole-grid admin edits one, since an edit reschedules the seals of every grid that uses it.
 */
import { z } from 'zod';
import { formatDuration } from '../../core/duration.ts';
import { forbidden, notFound } from '../../core/errors.ts';
import { createModelBody, updateModelBody } from '../../registry/modelSchemas.ts';
import { offlineAfterMs, type SensorModel } from '../../registry/sensorModels.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';

const modelId = pathParams('modelId');

export const modelAnswer = z.object({
  id: z.string(),
  name: z.string(),
  heartbeatInterval: z.string().meta({ description: 'as in the environment, e.g. "1h"', example: '1h' }),
  heartbeatIntervalMs: z.number().int(),
  missedHeartbeats: z.number(),
  offlineAfter: z
    .number()
    .int()
    .meta({ description: 'ms of silence after which a seal of this model is offline' }),
  lowBatteryPercent: z
    .number()
    .int()
    .nullable()
    .meta({ description: "null: the grid node's policy decides" }),
  heartbeatCarriesDoor: z.boolean(),
  builtIn: z
    .boolean()
    .meta({ description: 'shipped with the service (generic follows HEARTBEAT_INTERVAL/MISSED_HEARTBEATS)' }),
});

const modelView = (m: SensorModel): z.input<typeof modelAnswer> => ({
  id: m.id,
  name: m.name,
  heartbeatInterval: formatDuration(m.heartbeatIntervalMs),
  heartbeatIntervalMs: m.heartbeatIntervalMs,
  missedHeartbeats: m.missedHeartbeats,
  offlineAfter: offlineAfterMs(m),
  lowBatteryPercent: m.lowBatteryPercent,
  heartbeatCarriesDoor: m.heartbeatCarriesDoor,
  builtIn: m.builtIn,
});

export function modelRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/models',
    tag: 'registry',
    summary:
      'Add a sensor model (device profile): its heartbeat interval and the missed beats that make it offline',
    roles: ['admin'],
    body: createModelBody,
    status: 201,
    answer: modelAnswer,
    conflict: 'a sensor model with this id already exists',
    handler: async ({ body, principal }) => modelView(await registry.createModel(body, principal)),
  });

  table.add({
    method: 'GET',
    url: '/api/models',
    tag: 'registry',
    summary: 'The sensor models a sensor may name (generic, the shipped profiles, added ones)',
    roles: ['admin', 'monitor', 'worker', 'technician'],
    answer: z.object({ items: z.array(modelAnswer) }),
    handler: async () => ({ items: registry.allModels().map(modelView) }),
  });

  table.add({
    method: 'PATCH',
    url: '/api/models/:modelId',
    tag: 'registry',
    summary: "Change a sensor model; its seals' offline deadlines follow at once (whole-grid admins)",
    roles: ['admin'],
    params: modelId,
    body: updateModelBody,
    answer: modelAnswer,
    handler: async ({ params, body, principal }) => {
      if (!registry.sensorModel(params.modelId)) throw notFound('sensor model', params.modelId);
      if (principal.gridId !== null)
        throw forbidden('only a whole-grid admin changes a sensor model: every grid that uses it follows');
      return modelView(await registry.updateModel(params.modelId, body, principal));
    },
  });
}
