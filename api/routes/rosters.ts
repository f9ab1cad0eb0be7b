/**
 * Duty rosters and absences (issue 17.4; SPEC: POST /api/rosters, POST /api/absences). Scoped like
 * the windows: a roster entry belongs to its grid node, an absence to the absent worker's node.
 * A scoped caller names only nodes and workers inside its subtree: anything else answers as an
 * unknown id does, so the answer never tells which ids exist elsewhere.
 */
import { z } from 'zod';
import { invalid, notFound } from '../../core/errors.ts';
import { createAbsenceBody, createRosterBody } from '../../registry/duty/dutySchemas.ts';
import { isoTime } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { dutyNow } from '../dutyNow.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { absenceAnswer, absenceView, dutyAnswer, rosterAnswer, rosterView } from '../schemas/dutyAnswers.ts';

const MANAGERS = ['admin', 'monitor'] as const;
const READERS = ['admin', 'monitor', 'worker', 'technician'] as const;

const rosterQuery = pageQuery(1000).extend({
  gridId: z.string().max(200).optional().meta({ description: "only entries for this node's subtree" }),
  workerId: z.string().max(200).optional(),
  at: isoTime.optional().meta({ description: 'only entries whose span holds this time' }),
});
const absenceQuery = pageQuery(1000).extend({
  workerId: z.string().max(200).optional().meta({ description: 'absent worker or substitute' }),
  at: isoTime.optional().meta({ description: 'only absences whose span holds this time' }),
});

const covers = (at: number | undefined, span: { start: number; end: number }) =>
  at === undefined || (span.start <= at && at < span.end);

export function rosterRoutes(table: RouteTable, { registry, clock }: ApiDeps): void {
  const tree = registry.tree;
  /** The worker, when it exists and lies in the caller's subtree; else a 400 naming the field. */
  const visibleWorker = (principal: Principal, id: string, field: string) => {
    const w = registry.worker(id);
    if (!w || !inScope(tree, principal, w.gridId))
      throw invalid(`unknown worker '${id}' (${field})`, { [field]: id });
    return w;
  };
  const workerInScope = (principal: Principal, id: string) => {
    const w = registry.worker(id);
    return w !== undefined && inScope(tree, principal, w.gridId);
  };

  table.add({
    method: 'POST',
    url: '/api/rosters',
    tag: 'schedules',
    summary:
      "Put a worker on duty for a grid node's subtree in [start, end): alerts raised then are assigned to them (the worker need not be placed in that subtree)",
    roles: [...MANAGERS],
    body: createRosterBody,
    status: 201,
    answer: rosterAnswer,
    handler: async ({ body, principal }) => {
      if (!registry.gridNode(body.gridId) || !inScope(tree, principal, body.gridId)) {
        throw invalid(`unknown grid node '${body.gridId}'`, { gridId: body.gridId });
      }
      visibleWorker(principal, body.workerId, 'workerId');
      return rosterView(await registry.createRoster(body, principal));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/rosters',
    tag: 'schedules',
    summary: "Roster entries of the caller's subtree, by start",
    roles: [...READERS],
    query: rosterQuery,
    answer: pageOf(rosterAnswer),
    handler: async ({ query, principal }) =>
      paginate(
        registry
          .allRosters()
          .filter((r) => inScope(tree, principal, r.gridId))
          .filter((r) => query.gridId === undefined || tree.isWithin(r.gridId, query.gridId))
          .filter((r) => query.workerId === undefined || r.workerId === query.workerId)
          .filter((r) => covers(query.at, r))
          .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1)),
        query,
        rosterView,
      ),
  });

  table.add({
    method: 'DELETE',
    url: '/api/rosters/:id',
    tag: 'schedules',
    summary: 'Remove a roster entry: alerts go to whoever else is on duty, else the responsible worker',
    roles: [...MANAGERS],
    params: pathParams('id'),
    answer: rosterAnswer,
    handler: async ({ params, principal }) => {
      const r = registry.roster(params.id);
      if (!r) throw notFound('roster entry', params.id);
      requireScope(tree, principal, r.gridId, { what: 'roster entry', id: r.id });
      return rosterView(await registry.deleteRoster(r.id, principal));
    },
  });

  table.add({
    method: 'POST',
    url: '/api/absences',
    tag: 'schedules',
    summary:
      'Mark a worker absent in [start, end): their alerts go to the substitute (and on, if the substitute is away too)',
    roles: [...MANAGERS],
    body: createAbsenceBody,
    status: 201,
    answer: absenceAnswer,
    handler: async ({ body, principal }) => {
      visibleWorker(principal, body.workerId, 'workerId');
      visibleWorker(principal, body.substituteId, 'substituteId');
      return absenceView(await registry.createAbsence(body, principal));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/absences',
    tag: 'schedules',
    summary: "Absences of the workers in the caller's subtree, by start",
    roles: [...READERS],
    query: absenceQuery,
    answer: pageOf(absenceAnswer),
    handler: async ({ query, principal }) =>
      paginate(
        registry
          .allAbsences()
          .filter((a) => workerInScope(principal, a.workerId))
          .filter(
            (a) =>
              query.workerId === undefined ||
              a.workerId === query.workerId ||
              a.substituteId === query.workerId,
          )
          .filter((a) => covers(query.at, a))
          .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1)),
        query,
        absenceView,
      ),
  });

  table.add({
    method: 'DELETE',
    url: '/api/absences/:id',
    tag: 'schedules',
    summary: 'Remove an absence: the worker takes their own alerts again at once',
    roles: [...MANAGERS],
    params: pathParams('id'),
    answer: absenceAnswer,
    handler: async ({ params, principal }) => {
      const a = registry.absence(params.id);
      if (!a || !workerInScope(principal, a.workerId)) throw notFound('absence', params.id);
      return absenceView(await registry.deleteAbsence(a.id, principal));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/grid/:gridId/duty',
    tag: 'schedules',
    summary:
      'Who is on duty now for the node: whom a household alert raised now would be assigned to, by roster or as the responsible worker, absences applied',
    roles: [...READERS],
    params: pathParams('gridId'),
    answer: dutyAnswer,
    handler: async ({ params, principal }) => {
      if (!registry.gridNode(params.gridId)) throw notFound('grid node', params.gridId);
      requireScope(tree, principal, params.gridId, { what: 'grid node', id: params.gridId });
      return dutyNow(registry, params.gridId, clock.now());
    },
  });
}
