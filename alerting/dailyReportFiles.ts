import { toCsv } from '../contract/csvFormat.ts';
import { ALERT_TYPES } from './alertModel.ts';
import type { DailyReport } from './dailyReport.ts';
import { formatLocalTime } from './localTime.ts';
import { type Locale, reportLabels } from './notificationTexts.ts';

/**
 * The daily report as a file for the command centres' spreadsheets: CSV (UTF-8 with a BOM, so Excel
 * reads Chinese correctly) and xlsx (exceljs). Both hold one row per child node and a total row with
 * the node's own numbers (things filed on the node itself count in the total, not in a child row).
 */

export const REPORT_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const nodeName = (r: DailyReport) => r.rootPath.at(-1) ?? r.rootId;
export const totalLabel = (r: DailyReport, locale: Locale): string =>
  locale === 'en' ? `Total (${nodeName(r)})` : `合计（${nodeName(r)}）`;
const SHEETS = { 'zh-CN': ['日报', '概况'], en: ['Report', 'Summary'] } as const;

/** The table both files hold: headers, then a row per child node, then the total. */
export function reportTable(
  r: DailyReport,
  locale: Locale,
): { headers: string[]; rows: (string | number)[][] } {
  const L = reportLabels(locale);
  const headers = [L.node, L.sealed, L.breaches, L.offline, L.stillOpen];
  const rows: (string | number)[][] = r.byChild.map((c) => [c.name, c.sealed, c.breaches, c.offline, c.open]);
  rows.push([
    totalLabel(r, locale),
    r.sealedHouseholds,
    r.breaches.total,
    r.offlineSensors,
    r.stillOpen.count,
  ]);
  return { headers, rows };
}

export function reportCsv(r: DailyReport, locale: Locale): string {
  const { headers, rows } = reportTable(r, locale);
  return toCsv(
    headers,
    rows.map((row) => Object.fromEntries(headers.map((h, i) => [h, row[i]]))),
  );
}

/** Sheet 1: title, period, the table from row 4 (headers) on. Sheet 2: outcomes and alert types. */
export async function reportXlsx(r: DailyReport, locale: Locale, tz: string): Promise<Buffer> {
  const L = reportLabels(locale);
  // Loaded when a spreadsheet is first asked for: it alone cost every start of the service ~0.2 s of CPU.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'SealWatch';
  const [main, summary] = SHEETS[locale];
  const sheet = wb.addWorksheet(main);
  const { headers, rows } = reportTable(r, locale);
  sheet.addRow([`${L.heading} — ${r.rootPath.join(' / ')}`]).font = { bold: true, size: 14 };
  sheet.addRow([`${formatLocalTime(r.from, tz)} — ${formatLocalTime(r.to, tz)}`]);
  sheet.addRow([]);
  sheet.addRow(headers).font = { bold: true };
  for (const row of rows) sheet.addRow(row);
  sheet.lastRow!.font = { bold: true };
  sheet.columns.forEach((c, i) => {
    c.width = i === 0 ? 28 : 16;
  });

  const facts = wb.addWorksheet(summary);
  const outcomes = ['visited', 'falseAlarm', 'violationConfirmed', 'sensorFault', 'unresolved'] as const;
  facts.addRow([L.outcomes]).font = { bold: true };
  for (const k of outcomes) facts.addRow([L[k], r.breaches.byOutcome[k]]);
  facts.addRow([]);
  facts.addRow([L.alertsByType]).font = { bold: true };
  for (const t of ALERT_TYPES) facts.addRow([L.alertTypes[t], r.alertsByType[t]]);
  facts.addRow([]);
  const mins = (ms: number | null) => (ms === null ? null : Math.round(ms / 6_000) / 10);
  facts.addRow([`${L.tta} (${L.minutes.replace('{n} ', '')})`]).font = { bold: true };
  facts.addRow([L.median, mins(r.timeToAck.medianMs)]);
  facts.addRow([L.p90, mins(r.timeToAck.p90Ms)]);
  facts.addRow([L.max, mins(r.timeToAck.maxMs)]);
  facts.getColumn(1).width = 28;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** `sealwatch-daily-<node>-<day>.<ext>`: the node id is ASCII-safe; its name goes in filename*. */
export function reportDisposition(r: DailyReport, locale: Locale, day: string, ext: ReportFormat): string {
  const ascii = `sealwatch-daily-${r.rootId.replace(/[^\w.-]/g, '_')}-${day}.${ext}`;
  const named = `${reportLabels(locale).heading}-${nodeName(r)}-${day}.${ext}`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(named)}`;
}
