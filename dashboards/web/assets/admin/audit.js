import { el } from '../dom.js';
import { t } from '../i18n.js';
import { formatFull } from '../time.js';
import { describeFields } from './fieldInput.js';
import { buildForm } from './form.js';
import { pagedList } from './pager.js';
import { createNotice } from './problem.js';
import { buildTable } from './table.js';

const PAGE = 50;
const FILTERS = describeFields('audit', {
  entity: 'text',
  id: 'text',
  actor: 'text',
  from: 'datetime',
  to: 'datetime',
});

const COLUMNS = [
  { name: 'at', label: 'audit.at', type: 'datetime' },
  { name: 'actor', label: 'audit.actor' },
  { name: 'action', label: 'audit.action' },
  { name: 'entity', label: 'audit.entity' },
  { name: 'id', label: 'audit.id' },
  { name: 'change', label: 'audit.change' },
];

/**
 * The audit log (GET /api/audit, newest first, the whole count in x-total-count): filters by kind,
 * id, actor and time, a page at a time, each entry with what changed from before to after.
 */
export function auditScreen({ api, refs, root, expired }) {
  const notice = createNotice();
  const results = el('div', { class: 'list-slot' });
  let filters = {};
  let offset = 0;

  async function load() {
    const query = new URLSearchParams({ ...filters, limit: String(PAGE), offset: String(offset) });
    const page = await api.call('GET', `/api/audit?${query}`, undefined, { total: true });
    notice.clear();
    const rows = page.items.map((entry) => ({ ...entry, id: entry.id, change: changeOf(entry) }));
    results.replaceChildren(
      ...pagedList({
        total: page.total,
        rows,
        table: (shownRows) => buildTable({ caption: t('screen.audit'), columns: COLUMNS, rows: shownRows }),
        limit: PAGE,
        offset,
        onPage: goTo,
      }),
    );
  }

  const goTo = (next) => {
    offset = next;
    void shown();
  };

  /** Paging and the first page show a refusal above the list; the filter form shows its own. */
  const shown = () =>
    load().catch((err) => {
      if (err?.status === 401) return expired();
      notice.problem(err);
      results.replaceChildren();
    });

  const form = buildForm({
    title: t('audit.search'),
    fields: FILTERS,
    refs,
    submitLabel: t('audit.search'),
    optionalMarks: false,
    onSubmit: async (body) => {
      filters = body;
      offset = 0;
      try {
        await load();
      } catch (err) {
        if (err?.status === 401) expired();
        throw err;
      }
    },
  });
  root.replaceChildren(el('div', { class: 'audit-filters' }, form.element), notice.element, results);
  void shown();
}

/**
 * What an entry changed: created or removed, then each field that differs between before and after
 * (a record that did not exist counts as empty, so a creation lists what it was created with).
 */
function changeOf({ before, after }) {
  const none = (v) => v === null || v === undefined || typeof v !== 'object';
  if (none(before) && none(after)) return t('audit.noChange');
  const was = none(before) ? {} : before;
  const is = none(after) ? {} : after;
  const keys = [...new Set([...Object.keys(was), ...Object.keys(is)])].filter(
    (k) => shortly(k, was[k]) !== shortly(k, is[k]),
  );
  const kind = none(before) ? 'created' : none(after) ? 'removed' : null;
  return el(
    'div',
    {},
    kind ? el('span', { class: 'audit-kind', dataset: { kind }, text: t(`audit.${kind}`) }) : null,
    keys.length === 0 && !kind ? t('audit.noChange') : null,
    keys.length > 0
      ? el(
          'ul',
          { class: 'change-list' },
          keys.map((k) => el('li', { text: `${k}: ${shortly(k, was[k])} → ${shortly(k, is[k])}` })),
        )
      : null,
  );
}

/** A value in a line: a record's times (`createdAt`, `disabledAt`: epoch ms) as times, long ones cut. */
const shortly = (key, value) => {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'number' && /At$/.test(key)) return formatFull(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};
