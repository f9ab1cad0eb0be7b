import { el } from '../dom.js';
import { t } from '../i18n.js';

/**
 * What the API refused, shown as the API says it: `error.message`, then every entry of `details`
 * ({path, message} for a body, {line, column, message} for a CSV file). Nothing is reworded, so an
 * administrator reads the same words as in the API's documentation and in curl.
 */
export function problemContent(err, { details: listed = true } = {}) {
  if (err?.status === 0) return [el('p', { text: t('problem.network', { reason: err.message }) })];
  const details = listed && Array.isArray(err?.details) ? err.details : [];
  return [
    el('p', { class: 'problem-head', text: t('problem.title') }),
    el('p', { class: 'problem-message', text: err?.message ?? String(err) }),
    details.length > 0 &&
      el(
        'ul',
        { class: 'problem-details' },
        details.map((d) => el('li', { dataset: { path: d.path ?? '' }, text: detailText(d) })),
      ),
  ];
}

function detailText(d) {
  if (d === null || typeof d !== 'object') return String(d);
  const where = d.line !== undefined ? [`${t('import.line')} ${d.line}`, d.column].filter(Boolean) : [d.path];
  const place = where.filter(Boolean).join(' · ');
  return place ? `${place}: ${d.message}` : String(d.message);
}

/** The names of the form fields a refusal points at (first segment of each detail's path). */
export function fieldsNamed(err) {
  const details = Array.isArray(err?.details) ? err.details : [];
  return new Set(details.map((d) => String(d?.path ?? '').split('.')[0]).filter(Boolean));
}

/** A status line next to a form: a refusal (role=alert) or a quiet success. */
export function createNotice() {
  const element = el('div', { class: 'notice-box', role: 'alert', hidden: true });
  return {
    element,
    /** `details: false` where the details are shown elsewhere (the CSV report's table). */
    problem(err, options) {
      element.dataset.kind = 'problem';
      element.replaceChildren(...problemContent(err, options).filter(Boolean));
      element.hidden = false;
    },
    /** A line of our own: 'ok' (done), 'wait' (under way) or 'problem' (not sent: nothing to send). */
    say(text, kind = 'ok') {
      element.dataset.kind = kind;
      element.replaceChildren(el('p', { text }));
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.replaceChildren();
    },
  };
}
