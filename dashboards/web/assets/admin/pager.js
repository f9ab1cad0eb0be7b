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
