import { el } from '../dom.js';
import { t } from '../i18n.js';
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

/** The fields that differ between before and after, one line each; whole records when created or removed. */
function changeOf({ before, after }) {
  const none = (v) => v === null || v === undefined;
  if (none(before) && none(after)) return t('audit.noChange');
  if (none(before))
    return el('span', { class: 'audit-kind', dataset: { kind: 'created' }, text: t('audit.created') });
  if (after === null || after === undefined)
    return el('span', { class: 'audit-kind', dataset: { kind: 'removed' }, text: t('audit.removed') });
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  if (keys.length === 0) return t('audit.noChange');
  return el(
    'ul',
    { class: 'change-list' },
    keys.map((k) => el('li', { text: `${k}: ${shortly(before[k])} → ${shortly(after[k])}` })),
  );
}

const shortly = (value) => {
  const text =
    value === undefined || value === null ? '—' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};
