import { el } from '../dom.js';
import { t } from '../i18n.js';
import { formatTime } from '../time.js';

/** A span's two ends as people read them: "12-05 08:00:00 至 12-05 08:10:00". */
function span(start, end) {
  return end
    ? t('tl.span', { start: formatTime(start), end: formatTime(end) })
    : t('tl.spanOpen', { start: formatTime(start) });
}

function alertState(a) {
  if (a.status === 'open') return t('tl.alertOpen');
  if (a.status === 'acknowledged') return t('tl.alertAcked', { who: a.ackedBy ?? '' });
  if (a.outcome)
    return t('tl.alertResolved', { who: a.resolvedBy ?? '', outcome: t(`outcome.${a.outcome}`) });
  return t('tl.alertAuto');
}

/** What one entry says: a title, and a detail line or two. */
function describe(entry) {
  switch (entry.kind) {
    case 'door':
      return {
        tone: entry.door.type === 'close' ? 'calm' : 'warn',
        title: t(`tl.door.${entry.door.type}`),
        lines: [],
      };
    case 'alert': {
      const a = entry.alert;
      return {
        tone: a.status === 'resolved' ? 'done' : 'crit',
        title: t('tl.alert', { type: t(`alertType.${a.type}`) }),
        lines: [alertState(a), a.note ?? null],
      };
    }
    case 'quarantine':
      return {
        tone: 'info',
        title: t('tl.quarantine'),
        lines: [span(entry.quarantine.start, entry.quarantine.end)],
      };
    case 'window':
      return {
        tone: 'info',
        title: t('tl.window', { reason: entry.window.reason }),
        lines: [span(entry.window.start, entry.window.end), t('tl.by', { by: entry.window.by })],
      };
    case 'announcement':
      return {
        tone: 'info',
        title: t('tl.announcement', { reason: entry.announcement.reason }),
        lines: [
          span(entry.announcement.start, entry.announcement.end),
          t('tl.by', { by: entry.announcement.by }),
        ],
      };
    default:
      return { tone: 'info', title: entry.kind, lines: [] };
  }
}

/** The household's timeline, newest first: one row per door event, alert, quarantine, window, announcement. */
export function renderTimeline(list, items) {
  list.replaceChildren(
    ...items.map((entry) => {
      const { tone, title, lines } = describe(entry);
      return el(
        'li',
        { class: `tl-item tl-${entry.kind} tone-${tone}`, dataset: { kind: entry.kind } },
        el('time', { class: 'tl-time', datetime: entry.at, text: formatTime(entry.at) }),
        el('p', { class: 'tl-title', text: title }),
        lines.filter(Boolean).map((line) => el('p', { class: 'tl-line', text: line })),
      );
    }),
  );
}
