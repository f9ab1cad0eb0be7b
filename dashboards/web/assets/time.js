import { setText } from './dom.js';
import { getLang, t } from './i18n.js';

const DEFAULT_TZ = 'Asia/Shanghai';
let timeZone = DEFAULT_TZ;

/** `?tz=` when it names a real IANA zone; the command rooms' zone otherwise. */
export function initTimeZone(search = location.search) {
  const asked = new URLSearchParams(search).get('tz');
  timeZone = DEFAULT_TZ;
  if (asked) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: asked });
      timeZone = asked;
    } catch {
      // Unknown zone: keep the default rather than show times nobody asked for.
    }
  }
  return timeZone;
}

/** API times are ISO strings; some alert fields may come as epoch ms. */
export function toMs(value) {
  if (value === null || value === undefined || value === '') return null;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

const formatters = new Map();
function formatter(kind) {
  const key = `${getLang()}|${timeZone}|${kind}`;
  let f = formatters.get(key);
  if (!f) {
    const options =
      kind === 'clock'
        ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
        : kind === 'day'
          ? { month: '2-digit', day: '2-digit' }
          : {
              year: 'numeric',
              month: '2-digit',
              day: '2-digit',
              hour: '2-digit',
              minute: '2-digit',
              second: '2-digit',
              hourCycle: 'h23',
            };
    f = new Intl.DateTimeFormat(getLang(), { timeZone, ...options });
    formatters.set(key, f);
  }
  return f;
}

/** Today's times as 03:12:45; other days with their date, so a stale seal is obvious. */
export function formatTime(value, now = Date.now()) {
  const ms = toMs(value);
  if (ms === null) return '';
  const sameDay = formatter('day').format(ms) === formatter('day').format(now);
  return sameDay
    ? formatter('clock').format(ms)
    : `${formatter('day').format(ms)} ${formatter('clock').format(ms)}`;
}

export function formatFull(value) {
  const ms = toMs(value);
  return ms === null ? '' : formatter('full').format(ms);
}

/** "3 min", "2 h 5 min", "1 d 4 h": what a monitor reads at a glance. */
export function formatAge(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return t('age.now');
  if (minutes < 60) return t('age.min', { m: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t('age.hour', { h: hours, m: minutes % 60 });
  return t('age.day', { d: Math.floor(hours / 24), h: hours % 24 });
}

/**
 * Elements with `data-since` (epoch ms) show how long ago that was; `data-age="ago"` adds "ago".
 * One timer updates them all in place.
 */
export function tickAges(root = document, now = Date.now()) {
  for (const node of root.querySelectorAll('[data-since]')) {
    const since = Number(node.dataset.since);
    if (!Number.isFinite(since)) continue;
    const ms = now - since;
    const age = formatAge(ms);
    if (node.dataset.age !== 'ago') setText(node, age);
    else setText(node, ms < 60_000 ? t('age.justNow') : t('age.ago', { age }));
  }
}
