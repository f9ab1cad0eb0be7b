import type { ArchivedReport, ArchivedReportEntry } from '../alerting/alertStore.ts';
import type { Row } from './alertRows.ts';

/**
 * The daily reports' archive (daily_reports) in SQL both dialects share; `$n` placeholders are
 * turned into `?` for SQLite by the caller's `sqliteParams`. A node's day written again (a forced
 * run) replaces the stored report.
 */
export const UPSERT_REPORT = `INSERT INTO daily_reports (grid_id, day, generated_at, report) VALUES ($1, $2, $3, $4)
  ON CONFLICT (grid_id, day) DO UPDATE SET generated_at = excluded.generated_at, report = excluded.report`;
export const GET_REPORT = 'SELECT * FROM daily_reports WHERE grid_id = $1 AND day = $2';

export const reportValues = (r: ArchivedReport): unknown[] => [
  r.gridId,
  r.day,
  r.generatedAt,
  JSON.stringify(r.report),
];

/**
 * The list's SQL: newest day first, a page at a time, with the count of all in the filter (a
 * window function, one query); `nodes` is the placeholder of the node list.
 */
export function listReportsSql(filtered: boolean, nodes: string, limit: string, offset: string): string {
  return `SELECT grid_id, day, generated_at, COUNT(*) OVER () AS total FROM daily_reports
    ${filtered ? `WHERE grid_id IN (${nodes})` : ''}
    ORDER BY day DESC, grid_id LIMIT ${limit} OFFSET ${offset}`;
}

/** A page's rows → its entries and the total (0 when the page is empty, see the route). */
export const reportPageOf = (rows: Row[]): { items: ArchivedReportEntry[]; total: number } => ({
  items: rows.map(reportEntryOf),
  total: rows.length > 0 ? Number(rows[0]?.total) : 0,
});

export const reportEntryOf = (r: Row): ArchivedReportEntry => ({
  gridId: r.grid_id as string,
  day: r.day as string,
  generatedAt: Number(r.generated_at),
});

export const archivedReportOf = (r: Row): ArchivedReport => ({
  ...reportEntryOf(r),
  report: JSON.parse(r.report as string),
});

/** `$1`, `$2` … → `?` (the statements above use each placeholder once, in order). */
export const sqliteParams = (sql: string): string => sql.replace(/\$\d+/g, '?');
