import type { DailyReport } from './dailyReport.ts';
import { interpolate, type Locale, type MessageView, reportLabels } from './notificationTexts.ts';
import type { Notification, Recipient } from './notifiers/types.ts';

/** Child rows a group-chat summary lists at most (the whole table is in the file). */
const MAX_CHILD_LINES = 10;

/**
 * The daily report's short summary for a node's group robot (WeCom, DingTalk, Feishu, generic):
 * the node's four numbers and its busiest child nodes. The robot formats render `view`
 * (notifiers/webhookFormats.ts) and fit it to their size limits.
 */
export function robotSummaryView(r: DailyReport, day: string, locale: Locale): MessageView {
  const L = reportLabels(locale);
  const node = r.rootPath.at(-1) ?? r.rootId;
  const busiest = [...r.byChild]
    .sort((a, b) => b.breaches + b.open - (a.breaches + a.open))
    .slice(0, MAX_CHILD_LINES)
    .filter((c) => c.breaches + c.open + c.offline > 0);
  return {
    severity: 'info',
    title: interpolate(L.subject, { node, date: day }),
    intro: r.rootPath.join(' / '),
    fields: [
      { label: L.sealed, value: String(r.sealedHouseholds) },
      { label: L.breaches, value: String(r.breaches.total) },
      { label: L.offline, value: String(r.offlineSensors) },
      { label: L.stillOpen, value: String(r.stillOpen.count) },
      ...busiest.map((c) => ({
        label: c.name,
        value: `${L.breaches} ${c.breaches} · ${L.offline} ${c.offline} · ${L.open} ${c.open}`,
      })),
    ],
  };
}

export function robotSummaryNotification(
  r: DailyReport,
  day: string,
  locale: Locale,
  recipient: Recipient,
  id: string,
): Notification {
  const view = robotSummaryView(r, day, locale);
  return {
    id,
    recipient,
    subject: view.title,
    view,
    data: {
      event: 'dailyReportSummary',
      gridId: r.rootId,
      day,
      sealedHouseholds: r.sealedHouseholds,
      breaches: r.breaches.total,
      offlineSensors: r.offlineSensors,
      stillOpen: r.stillOpen.count,
    },
  };
}
