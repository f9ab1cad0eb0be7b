import { el } from '../dom.js';
import { t } from '../i18n.js';
import { formatFull } from '../time.js';

/**
 * A table of records from column descriptions `{name, label, type?, optionPrefix?}`; `actions(row)`
 * gives each row's buttons. The first column is the row's header (its id), for screen readers.
 */
export function buildTable({ caption, columns, rows, actions, refs = null }) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'admin-table' },
      el('caption', { class: 'visually-hidden', text: caption }),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          columns.map((c) => el('th', { scope: 'col', text: t(c.label) })),
          actions ? el('th', { scope: 'col', text: t('crud.actions') }) : null,
        ),
      ),
      el(
        'tbody',
        {},
        rows.map((row) =>
          el(
            'tr',
            { dataset: { id: String(row.id ?? '') } },
            columns.map((c, i) =>
              el(
                i === 0 ? 'th' : 'td',
                { scope: i === 0 ? 'row' : null, 'data-label': t(c.label) },
                cell(c, row[c.name], refs),
              ),
            ),
            actions ? el('td', { class: 'row-actions' }, actions(row)) : null,
          ),
        ),
      ),
    ),
  );
}

/**
 * A value as a person reads it: times in the command room's zone, yes/no, role names, and a record
 * named by id with its name first (史村镇 shicun), where `refs` knows it.
 */
export function cell(column, value, refs = null) {
  if (value instanceof Node) return value;
  if (value === null || value === undefined || value === '')
    return el('span', { class: 'dim', text: column.nullText ? t(column.nullText) : '—' });
  const name = column.ref && refs ? refs.label(column.ref, value) : null;
  if (name !== null && name !== value)
    return el('span', {}, name, el('span', { class: 'ref-id', text: ` ${value}` }));
  if (column.type === 'datetime') return formatFull(value);
  if (column.type === 'checkbox' || typeof value === 'boolean') return t(value ? 'crud.yes' : 'crud.no');
  if (column.optionPrefix) return t(`${column.optionPrefix}.${value}`);
  if (Array.isArray(value)) return value.join(', ');
  // A structured value (a channel plan) as JSON that wraps inside its cell.
  if (typeof value === 'object') return el('code', { class: 'json', text: JSON.stringify(value) });
  return String(value);
}
