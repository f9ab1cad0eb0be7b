import { el } from '../dom.js';
import { t } from '../i18n.js';
import { createNotice } from './problem.js';
import { secretBox } from './secretOnce.js';
import { buildTable } from './table.js';

/** What POST /api/import/:entity takes (registry/csv/csvEntities.ts), with the screen that names each. */
const IMPORTABLE = [
  ['grid', 'screen.grid'],
  ['workers', 'screen.workers'],
  ['households', 'screen.households'],
  ['sensors', 'screen.sensors'],
  ['quarantines', 'screen.quarantines'],
  ['windows', 'screen.windows'],
  ['policies', 'screen.policies'],
  ['rosters', 'entity.rosters'],
  ['absences', 'entity.absences'],
];

/**
 * CSV upload: the file goes as it is to POST /api/import/:entity, which checks every row before
 * writing anything. A refused file is reported row by row (line, column, what is wrong, and the
 * line itself from the file) under the API's own message: nothing was imported.
 */
export function csvScreen({ api, root, expired }) {
  const notice = createNotice();
  const report = el('div', { class: 'import-report' });
  const entity = el(
    'select',
    { id: 'import-entity', name: 'entity' },
    IMPORTABLE.map(([value, label]) => el('option', { value, text: `${t(label)} (${value})` })),
  );
  const file = el('input', { id: 'import-file', name: 'file', type: 'file', accept: '.csv,text/csv' });
  const template = el('a', { class: 'small', download: '' });
  const showTemplate = () => {
    template.href = `/api/export/${entity.value}`;
    template.textContent = t('import.template', { entity: entity.value });
  };
  entity.addEventListener('change', showTemplate);
  showTemplate();
  const submit = el('button', { type: 'submit', class: 'btn btn-primary', text: t('import.submit') });
  const form = el(
    'form',
    { class: 'panel admin-form import-form', novalidate: true, 'aria-labelledby': 'import-title' },
    el('h3', { id: 'import-title', text: t('import.title') }),
    el('label', { class: 'field' }, el('span', { text: t('import.entity') }), entity),
    el('label', { class: 'field' }, el('span', { text: t('import.file') }), file),
    template,
    el('div', { class: 'form-actions' }, submit),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void upload();
  });

  async function upload() {
    const chosen = file.files?.[0];
    report.replaceChildren();
    if (!chosen) {
      notice.say(t('import.noFile'), 'problem');
      return;
    }
    submit.disabled = true;
    notice.say(t('import.uploading'), 'wait');
    const text = await chosen.text();
    try {
      const answer = await api.call('POST', `/api/import/${entity.value}`, text, { contentType: 'text/csv' });
      notice.say(t('import.ok', { n: answer.imported, what: entity.selectedOptions[0]?.textContent ?? '' }));
      if (answer.secrets?.length)
        report.replaceChildren(
          secretBox(
            answer.secrets.map((s) => ({ what: t('secret.sensor', { id: s.sensorId }), value: s.secret })),
          ),
        );
    } catch (err) {
      if (err?.status === 401) return expired();
      const rows = Array.isArray(err?.details) ? err.details : null;
      notice.problem(err, { details: rows === null });
      if (rows) report.replaceChildren(rowReport(rows, text));
    } finally {
      submit.disabled = false;
    }
  }

  root.replaceChildren(form, notice.element, report);
}

/** Every refused row: its line in the file, the column, the API's words, and the line as written. */
function rowReport(details, text) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows = details.map((d, i) => ({
    id: String(d.line ?? ''),
    column: d.column ?? d.path ?? '',
    message: d.message,
    text: lines[(d.line ?? 0) - 1] ?? '',
    key: i,
  }));
  return el(
    'section',
    { class: 'report', 'aria-labelledby': 'report-title' },
    el('h3', { id: 'report-title', text: t('import.refused', { n: details.length }) }),
    buildTable({
      caption: t('import.reportCaption'),
      columns: [
        { name: 'id', label: 'import.line' },
        { name: 'column', label: 'import.column' },
        { name: 'message', label: 'import.problem' },
        { name: 'text', label: 'import.text' },
      ],
      rows,
    }),
  );
}
