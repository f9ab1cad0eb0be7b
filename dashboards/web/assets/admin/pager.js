import { el } from '../dom.js';
import { t } from '../i18n.js';

/** Previous and next over a list of `total` items shown `limit` at a time from `offset`. */
export function buildPager({ total, limit, offset, onPage }) {
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return el(
    'nav',
    { class: 'pager', 'aria-label': t('pager.label') },
    el('button', {
      type: 'button',
      class: 'btn',
      text: t('pager.prev'),
      disabled: offset === 0,
      onclick: () => onPage(Math.max(0, offset - limit)),
    }),
    el('span', { class: 'pager-status', role: 'status', text: t('pager.status', { from, to, total }) }),
    el('button', {
      type: 'button',
      class: 'btn',
      text: t('pager.next'),
      disabled: to >= total,
      onclick: () => onPage(offset + limit),
    }),
  );
}

/** A list's count, its table (or "nothing here"), and previous/next when it is longer than a page. */
export function pagedList({ total, rows, table, limit, offset, onPage }) {
  return [
    el('p', { class: 'muted small list-count', text: t('crud.count', { total }) }),
    rows.length === 0 ? el('p', { class: 'empty', text: t('crud.empty') }) : table(rows),
    onPage && total > limit ? buildPager({ total, limit, offset, onPage }) : null,
  ].filter(Boolean);
}
