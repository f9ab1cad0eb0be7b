import { el } from './dom.js';
import { t } from './i18n.js';

/** The outcomes a resolution names (the API's `outcome`), in the order a person reads them. */
const OUTCOMES = ['visited', 'falseAlarm', 'violationConfirmed', 'sensorFault'];

/** Text that follows the page's language: written now, rewritten by applyI18n on a switch. */
const translated = (tag, key, attrs = {}) => el(tag, { ...attrs, 'data-i18n': key, text: t(key) });

/**
 * The resolve dialog's markup, built once per page (the live page and the grid worker's phone view
 * share it): an outcome, a required note, cancel and submit. Ids are what dialogs.js and the tests use.
 */
export function resolveDialogElement() {
  const existing = document.getElementById('resolve-dialog');
  if (existing) return existing;
  const outcomes = OUTCOMES.map((outcome, i) =>
    el(
      'label',
      { class: 'choice' },
      el('input', { type: 'radio', name: 'outcome', value: outcome, required: i === 0, checked: i === 0 }),
      translated('span', `outcome.${outcome}`),
    ),
  );
  const dialog = el(
    'dialog',
    { class: 'dialog', id: 'resolve-dialog', 'aria-labelledby': 'resolve-title' },
    el(
      'form',
      { id: 'resolve-form', method: 'dialog', novalidate: true },
      translated('h2', 'resolve.title', { id: 'resolve-title' }),
      el('p', { class: 'dialog-sub', id: 'resolve-sub' }),
      el('fieldset', { class: 'outcomes' }, translated('legend', 'resolve.outcome'), outcomes),
      el(
        'label',
        { class: 'field' },
        translated('span', 'resolve.note'),
        el('textarea', { id: 'resolve-note', name: 'note', rows: '3', required: true, maxlength: '2000' }),
      ),
      el('p', { class: 'form-error', id: 'resolve-error', role: 'alert' }),
      el(
        'div',
        { class: 'dialog-actions' },
        translated('button', 'common.cancel', {
          type: 'button',
          class: 'btn btn-quiet',
          id: 'resolve-cancel',
        }),
        translated('button', 'resolve.submit', {
          type: 'submit',
          class: 'btn btn-primary',
          id: 'resolve-submit',
        }),
      ),
    ),
  );
  document.body.append(dialog);
  return dialog;
}
