import { t } from '../i18n.js';

/**
 * A span as a tired monitor reads it across a room: seconds while it is short (a fast
 * acknowledgement is 40 s, not "0 min"), then minutes and seconds, hours, days.
 */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('wall.duration.s', { s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('wall.duration.ms', { m, s: s % 60 });
  const h = Math.floor(m / 60);
  if (h < 24) return t('wall.duration.hm', { h, m: m % 60 });
  return t('wall.duration.dh', { d: Math.floor(h / 24), h: h % 24 });
}

/** Elements with `data-waiting-since` (epoch ms) show how long that is, updated in place. */
export function tickWaits(root, now = Date.now()) {
  for (const node of root.querySelectorAll('[data-waiting-since]')) {
    const since = Number(node.dataset.waitingSince);
    if (!Number.isFinite(since)) continue;
    const text = formatDuration(now - since);
    if (node.textContent !== text) node.textContent = text;
  }
}
