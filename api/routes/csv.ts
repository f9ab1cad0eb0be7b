import { z } from 'zod';
import { toCsv } from '../../contract/csvFormat.ts';
import { notFound, ServiceError } from '../../core/errors.ts';
import { CSV_ENTITIES, isCsvEntity } from '../../registry/csv/csvEntities.ts';
import { checkCsvImport } from '../../registry/csv/csvImport.ts';
import type { ApiDeps } from '../deps.ts';
import { inScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';
import { importAnswer } from '../schemas/registryAnswers.ts';

const ENTITIES = Object.keys(CSV_ENTITIES).join(', ');
const entity = pathParams('entity');
/** The file itself; its rows are checked by registry/csv (every bad row listed in `details`). */
const csvFile = z.string().meta({ description: `a CSV file with a header row: ${ENTITIES}` });

/**
 * Spreadsheet import and export for the registry. An import is all or
 * nothing: one bad row and nothing is written, and the answer lists every bad
 * row with its line and column.
 */
export function csvRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/import/:entity',
    tag: 'registry',
    summary: `Import a CSV file (UTF-8, with or without BOM; Content-Type: text/csv) of ${ENTITIES}. All or nothing; sensors' secrets come back once in the answer`,
    roles: ['admin'],
    params: entity,
    accepts: ['csv'],
    body: csvFile,
    status: 201,
    answer: importAnswer,
    handler: async ({ params, principal, body, request }) => {
      const entity = params.entity;
      if (!isCsvEntity(entity)) throw notFound('importable entity', entity);
      const check = checkCsvImport(entity, body, registry, (gridId) =>
        gridId === null ? principal.gridId === null : inScope(registry.tree, principal, gridId),
      );
      if (!check.ok) {
        throw new ServiceError(
          'validation',
          `${check.errors.length} row(s) refused; nothing was imported`,
          { entity },
          check.errors,
        );
      }
      if (entity === 'policies') {
        const rows = check.bodies.map(({ gridId, ...fields }) => ({ gridId: gridId as string, fields }));
        const imported = await registry.importGridPolicies(rows, principal);
        request.log.info(
          { gridIds: rows.map((r) => r.gridId), actor: principal.name, tokenId: principal.tokenId },
          'grid policies imported',
        );
        return { entity, imported };
      }
      if (entity === 'rosters' || entity === 'absences') {
        return {
          entity,
          imported: await registry.importDuty({ [entity]: check.bodies as never }, principal),
        };
      }
      const result = await registry.importRecords({ [entity]: check.bodies }, principal);
      return { entity, imported: result.count, ...(entity === 'sensors' ? { secrets: result.secrets } : {}) };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/export/:entity',
    tag: 'registry',
    summary: `Export ${ENTITIES} in your scope as CSV (opens in a spreadsheet; cells that look like formulas are neutralised)`,
    roles: ['admin', 'monitor'],
    params: entity,
    answer: { contentType: 'text/csv', description: 'the CSV file (UTF-8), as an attachment' },
    handler: async ({ params, principal, reply }) => {
      const entity = params.entity;
      if (!isCsvEntity(entity)) throw notFound('exportable entity', entity);
      const spec = CSV_ENTITIES[entity];
      const rows = spec
        .exportRows(registry)
        .filter((r) => r.scope !== null && inScope(registry.tree, principal, r.scope))
        .map((r) => r.row);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="sealwatch-${entity}.csv"`);
      return reply.send(toCsv(spec.columns, rows));
    },
  });
}
