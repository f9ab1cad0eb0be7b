import { ALERT_TYPES, type Alert, type AlertType, OUTCOMES, type Outcome } from './alertModel.ts';
import { escapeHtml } from './html.ts';
import { formatLocalTime, localDayKey } from './localTime.ts';
import { alertTitle, interpolate, type Locale, reportLabels } from './notificationTexts.ts';
import type { Notification, Recipient } from './notifiers/types.ts';
import { type GridNode, OrgChart } from './routing.ts';

/**
 * The daily report (日报) for one grid node's subtree. Computing and rendering are pure; the engine
 * gathers the inputs from the store and sends the result to the node's contacts.
 */

export interface ReportInput {
  rootId: string;
  /** At least the subtree and its ancestors (for the path in the title). */
  nodes: readonly GridNode[];
  /** `sealed`: under an active quarantine with a seal that is not in commissioning, at `to`. */
  households: readonly { id: string; gridId: string; sealed: boolean }[];
  /** Alerts opened in [from, to). */
  alerts: readonly Alert[];
  /** Alerts unresolved at `to`, whatever their age. */
  stillOpen: readonly Alert[];
  /** Seals silent at `to` (commissioning ones already left out). */
  offlineSensors: readonly { sensorId: string; gridId: string; since: number }[];
  from: number;
  to: number;
}

export interface Durations {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
  maxMs: number | null;
}

export interface ChildRow {
  nodeId: string;
  name: string;
  sealed: number;
  breaches: number;
  offline: number;
  open: number;
}

export interface DailyReport {
  rootId: string;
  rootPath: string[];
  from: number;
  to: number;
  sealedHouseholds: number;
  breaches: { total: number; byOutcome: Record<Outcome | 'unresolved', number> };
  alertsByType: Record<AlertType, number>;
  offlineSensors: number;
  timeToAck: Durations;
  stillOpen: { count: number; oldest: Alert[] };
  byChild: ChildRow[];
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * Time to acknowledge counts alerts opened in the period that a person handled: `ackedAt`, or for an
 * alert resolved by a person without a separate acknowledgement, `resolvedAt`. Maintenance alerts and
 * alerts the system resolved by itself are left out (nobody was asked to react in a hurry).
 */
export function timeToAck(alerts: readonly Alert[]): Durations {
  const d: number[] = [];
  for (const a of alerts) {
    if (a.severity === 'maintenance') continue;
    const handledAt = a.ackedAt ?? (a.autoResolveReason === undefined ? a.resolvedAt : undefined);
    if (handledAt !== undefined) d.push(Math.max(0, handledAt - a.openedAt));
  }
  d.sort((x, y) => x - y);
  return {
    count: d.length,
    medianMs: percentile(d, 0.5),
    p90Ms: percentile(d, 0.9),
    maxMs: d.at(-1) ?? null,
  };
}

export function computeDailyReport(input: ReportInput): DailyReport {
  const tree = OrgChart.of(input.nodes);
  const inTree = (gridId: string) => tree.isInSubtree(gridId, input.rootId);
  const childOf = (gridId: string): string | null => {
    const path = tree.pathTo(gridId);
    const i = path.indexOf(input.rootId);
    return i >= 0 ? (path[i + 1] ?? null) : null;
  };
  const children = input.nodes.filter((n) => n.parentId === input.rootId);
  const rows = new Map<string, ChildRow>(
    children.map((n) => [n.id, { nodeId: n.id, name: n.name, sealed: 0, breaches: 0, offline: 0, open: 0 }]),
  );
  const bump = (gridId: string, key: 'sealed' | 'breaches' | 'offline' | 'open') => {
    const c = childOf(gridId);
    const row = c ? rows.get(c) : undefined;
    if (row) row[key]++;
  };

  let sealedHouseholds = 0;
  for (const h of input.households) {
    if (h.sealed && inTree(h.gridId)) {
      sealedHouseholds++;
      bump(h.gridId, 'sealed');
    }
  }
  const alerts = input.alerts.filter(
    (a) => inTree(a.gridId) && a.openedAt >= input.from && a.openedAt < input.to,
  );
  const alertsByType = Object.fromEntries(ALERT_TYPES.map((t) => [t, 0])) as Record<AlertType, number>;
  const byOutcome = Object.fromEntries([...OUTCOMES, 'unresolved'].map((o) => [o, 0])) as Record<
    Outcome | 'unresolved',
    number
  >;
  let breachTotal = 0;
  for (const a of alerts) {
    alertsByType[a.type]++;
    if (a.type !== 'breach') continue;
    breachTotal++;
    bump(a.gridId, 'breaches');
    byOutcome[a.status === 'resolved' && a.outcome ? a.outcome : 'unresolved']++;
  }
  const offline = input.offlineSensors.filter((s) => inTree(s.gridId));
  for (const s of offline) bump(s.gridId, 'offline');
  const open = input.stillOpen.filter((a) => inTree(a.gridId) && a.status !== 'resolved');
  for (const a of open) bump(a.gridId, 'open');

  return {
    rootId: input.rootId,
    rootPath: tree.pathNames(input.rootId),
    from: input.from,
    to: input.to,
    sealedHouseholds,
    breaches: { total: breachTotal, byOutcome },
    alertsByType,
    offlineSensors: offline.length,
    timeToAck: timeToAck(alerts),
    stillOpen: { count: open.length, oldest: [...open].sort((a, b) => a.openedAt - b.openedAt).slice(0, 20) },
    byChild: [...rows.values()],
  };
}

export interface RenderedReport {
  subject: string;
  text: string;
  html: string;
}

export function renderDailyReport(r: DailyReport, locale: Locale, tz: string): RenderedReport {
  const L = reportLabels(locale);
  const mins = (ms: number | null) =>
    ms === null ? L.none : interpolate(L.minutes, { n: (ms / 60_000).toFixed(1) });
  const pathText = r.rootPath.join(' / ');
  const subject = interpolate(L.subject, {
    node: r.rootPath.at(-1) ?? r.rootId,
    date: localDayKey(r.to - 1, tz),
  });
  const period = interpolate(L.period, { from: formatLocalTime(r.from, tz), to: formatLocalTime(r.to, tz) });
  const outcomes = (
    ['visited', 'falseAlarm', 'violationConfirmed', 'sensorFault', 'unresolved'] as const
  ).map((k) => [L[k], r.breaches.byOutcome[k]] as const);
  const types = ALERT_TYPES.map((t) => [L.alertTypes[t], r.alertsByType[t]] as const);
  const tta = `${L.median} ${mins(r.timeToAck.medianMs)}, ${L.p90} ${mins(r.timeToAck.p90Ms)}, ${L.max} ${mins(r.timeToAck.maxMs)} (n=${r.timeToAck.count})`;
  const openLines = r.stillOpen.oldest.map(
    (a) =>
      `${formatLocalTime(a.openedAt, tz)}  ${alertTitle(locale, a.type)}  ${a.sensorId ?? a.gridId}  #${a.id}`,
  );

  const text = [
    `${L.heading} — ${pathText}`,
    period,
    '',
    `${L.sealed}: ${r.sealedHouseholds}`,
    `${L.breaches}: ${r.breaches.total} (${outcomes.map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `${L.alertsByType}: ${types.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `${L.offline}: ${r.offlineSensors}`,
    `${L.tta}: ${tta}`,
    `${L.stillOpen}: ${r.stillOpen.count}`,
    ...(openLines.length > 0 ? ['', `${L.oldestOpen}:`, ...openLines.map((l) => `  ${l}`)] : []),
    ...(r.byChild.length > 0
      ? [
          '',
          `${L.byChild}:`,
          ...r.byChild.map(
            (c) =>
              `  ${c.name}: ${L.sealed} ${c.sealed}, ${L.breaches} ${c.breaches}, ${L.offline} ${c.offline}, ${L.open} ${c.open}`,
          ),
        ]
      : []),
  ].join('\n');

  const e = escapeHtml;
  const big = (label: string, value: string | number, color = '#222') =>
    `<td style="padding:12px;border:1px solid #ddd;text-align:center"><div style="font-size:32px;font-weight:bold;color:${color}">${e(String(value))}</div><div style="font-size:15px;color:#555">${e(label)}</div></td>`;
  const th = (s: string) =>
    `<th style="text-align:left;padding:6px 10px;border-bottom:2px solid #ccc">${e(s)}</th>`;
  const td = (s: string | number) =>
    `<td style="padding:6px 10px;border-bottom:1px solid #eee">${e(String(s))}</td>`;
  const html =
    `<!DOCTYPE html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(subject)}</title></head>` +
    `<body style="margin:0;padding:16px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:18px;line-height:1.5;color:#222">` +
    `<h1 style="font-size:26px;margin:0 0 4px">${e(L.heading)}</h1><p style="margin:0 0 4px;font-weight:bold">${e(pathText)}</p><p style="margin:0 0 16px;color:#555">${e(period)}</p>` +
    `<table style="border-collapse:collapse;margin-bottom:16px"><tr>${big(L.sealed, r.sealedHouseholds)}${big(L.breaches, r.breaches.total, r.breaches.total > 0 ? '#c62828' : '#222')}${big(L.offline, r.offlineSensors, r.offlineSensors > 0 ? '#e65100' : '#222')}${big(L.stillOpen, r.stillOpen.count, r.stillOpen.count > 0 ? '#c62828' : '#222')}</tr></table>` +
    `<p><b>${e(L.outcomes)}</b>: ${e(outcomes.map(([k, v]) => `${k} ${v}`).join(' · '))}</p>` +
    `<p><b>${e(L.alertsByType)}</b>: ${e(types.map(([k, v]) => `${k} ${v}`).join(' · '))}</p>` +
    `<p><b>${e(L.tta)}</b>: ${e(tta)}</p>` +
    (openLines.length > 0
      ? `<h2 style="font-size:20px">${e(L.oldestOpen)}</h2><ul>${openLines.map((l) => `<li>${e(l)}</li>`).join('')}</ul>`
      : '') +
    (r.byChild.length > 0
      ? `<h2 style="font-size:20px">${e(L.byChild)}</h2><table style="border-collapse:collapse">` +
        `<tr>${th(L.node)}${th(L.sealed)}${th(L.breaches)}${th(L.offline)}${th(L.open)}</tr>` +
        r.byChild
          .map((c) => `<tr>${td(c.name)}${td(c.sealed)}${td(c.breaches)}${td(c.offline)}${td(c.open)}</tr>`)
          .join('') +
        '</table>'
      : '') +
    '</body></html>';
  return { subject, text: `${text}\n`, html };
}

/** The report as an outbox notification for one contact (e-mail channel). */
export function dailyReportNotification(
  report: DailyReport,
  rendered: RenderedReport,
  recipient: Recipient,
  id: string,
): Notification {
  return {
    id,
    recipient,
    subject: rendered.subject,
    view: { severity: 'info', title: rendered.subject, intro: '', fields: [] },
    rendered: { text: rendered.text, html: rendered.html },
    data: {
      event: 'dailyReport',
      gridId: report.rootId,
      from: new Date(report.from).toISOString(),
      to: new Date(report.to).toISOString(),
      sealedHouseholds: report.sealedHouseholds,
      breaches: report.breaches.total,
      offlineSensors: report.offlineSensors,
      stillOpen: report.stillOpen.count,
    },
  };
}
