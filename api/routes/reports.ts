import { z } from 'zod';
import {
  REPORT_FORMATS,
  type ReportFormat,
  reportCsv,
  reportDisposition,
  reportXlsx,
  XLSX_TYPE,
} from '../../alerting/dailyReportFiles.ts';
import { dayBounds, isReportDay, previousDay } from '../../alerting/dailyReportPeriod.ts';
import { invalid, notFound } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { oneOf, pageQuery } from '../schemas/common.ts';
import { archivedReportsAnswer, dailyReportJsonAnswer } from '../schemas/reportAnswers.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;

const dailyQuery = z.object({
  gridId: z.string().meta({ description: 'the grid node whose subtree the report covers' }),
  date: z
    .string()
    .optional()
    .meta({ description: 'the local day (TZ_LOCAL), YYYY-MM-DD; default: yesterday' }),
  format: oneOf(REPORT_FORMATS).default('json').meta({ description: 'json (default), csv or xlsx' }),
});

const listQuery = pageQuery(1000, 50).extend({
  gridId: z.string().optional().meta({ description: 'only reports of nodes in this subtree' }),
});

const link = (gridId: string, day: string, format: ReportFormat) =>
  `/api/reports/daily?gridId=${encodeURIComponent(gridId)}&date=${day}&format=${format}`;

/**
 * The daily report (日报) as a file, and the archive of the scheduled runs' reports. Scoped like
 * the alerts: a caller sees the reports of the nodes in its subtree. Answered by the alerting owner
 * (api/ownerProxy.ts): the report reads the engine's open alerts and silent seals.
 */
export function reportRoutes(table: RouteTable, { registry, alerting, clock }: ApiDeps): void {
  const { reports } = alerting;

  const scopedNode = (gridId: string, principal: Parameters<typeof requireScope>[1]) => {
    if (!registry.gridNode(gridId)) throw notFound('grid node', gridId);
    requireScope(registry.tree, principal, gridId, { what: 'grid node', id: gridId });
  };

  table.add({
    method: 'GET',
    url: '/api/reports/daily',
    tag: 'alerts',
    summary:
      "A grid node's daily report for one local day (TZ_LOCAL): JSON, CSV (UTF-8 with BOM, opens in Excel) or xlsx; the archived one when the schedule made it",
    roles: ALL_ROLES,
    query: dailyQuery,
    answer: {
      contentType: 'text/csv',
      alsoAs: [XLSX_TYPE],
      json: dailyReportJsonAnswer,
      description: 'the report as JSON (format=json), or a CSV or xlsx file as an attachment',
    },
    handler: async ({ query, principal, reply }) => {
      const day = query.date ?? previousDay(reports.today());
      if (!isReportDay(day))
        throw invalid(`date must be a day written YYYY-MM-DD, not '${day.slice(0, 40)}'`);
      scopedNode(query.gridId, principal);
      if (dayBounds(day, reports.tz).from > clock.now()) throw invalid(`date ${day} has not begun yet`);
      const { report, generatedAt, archived } = await reports.report(query.gridId, day);
      const format = query.format as ReportFormat;
      reply.header('cache-control', 'no-store');
      if (format === 'json') {
        reply.header('content-type', 'application/json; charset=utf-8');
        // A raw answer is sent as it is: the JSON is written here.
        return reply.send(
          JSON.stringify({ day, generatedAt: new Date(generatedAt).toISOString(), archived, report }),
        );
      }
      reply.header('content-disposition', reportDisposition(report, reports.locale, day, format));
      if (format === 'csv') {
        reply.header('content-type', 'text/csv; charset=utf-8');
        return reply.send(reportCsv(report, reports.locale));
      }
      reply.header('content-type', XLSX_TYPE);
      return reply.send(await reportXlsx(report, reports.locale, reports.tz));
    },
  });

  table.add({
    method: 'GET',
    url: '/api/reports',
    tag: 'alerts',
    summary: 'The archived daily reports in your scope, newest day first, with links to their files',
    roles: ALL_ROLES,
    query: listQuery,
    answer: archivedReportsAnswer,
    handler: async ({ query, principal }) => {
      const root = query.gridId ?? principal.gridId;
      if (query.gridId !== undefined) scopedNode(query.gridId, principal);
      const gridIds = root === null ? null : [...registry.tree.subtree(root)].map((n) => n.id);
      const page = await reports.list({ gridIds, limit: query.limit, offset: query.offset });
      return {
        items: page.items.map((e) => ({
          gridId: e.gridId,
          gridName: registry.gridNode(e.gridId)?.name ?? e.gridId,
          day: e.day,
          generatedAt: new Date(e.generatedAt).toISOString(),
          links: {
            json: link(e.gridId, e.day, 'json'),
            csv: link(e.gridId, e.day, 'csv'),
            xlsx: link(e.gridId, e.day, 'xlsx'),
          },
        })),
        total: page.total,
        limit: query.limit,
        offset: query.offset,
      };
    },
  });
}
