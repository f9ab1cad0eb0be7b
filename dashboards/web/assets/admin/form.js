import { el } from '../dom.js';
import { t } from '../i18n.js';
import { fieldInput, readInput, shown } from './fieldInput.js';
import { createNotice, fieldsNamed } from './problem.js';

let formCount = 0;

/**
 * A form built from field descriptions (entities.js). `values` null: a new record, every filled
 * field is sent (an empty one is left out, or sent as null where the field says `emptyAs: null`).
 * `values` given: an edit, only the fields that changed are sent, and an emptied one as null.
 * `onSubmit(body)` calls the API; what it refuses is shown next to the form as the API says it.
 */
export function buildForm({
  title,
  fields,
  values = null,
  submitLabel,
  refs,
  onSubmit,
  onCancel,
  hint,
  optionalMarks = true,
}) {
  const prefix = `f${++formCount}`;
  const notice = createNotice();
  const inputs = new Map();
  const rows = fields.map((field) => {
    const row = fieldInput(field, {
      id: `${prefix}-${field.name}`,
      value: values?.[field.name],
      refs,
      optionalMark: optionalMarks && values === null,
    });
    inputs.set(field.name, row.querySelector('[data-field]'));
    return row;
  });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary', text: submitLabel });
  const headingId = `${prefix}-title`;
  const form = el(
    'form',
    { class: 'panel admin-form', novalidate: true, 'aria-labelledby': headingId },
    el('h3', { id: headingId, text: title }),
    hint ? el('p', { class: 'hint small', text: hint }) : null,
    el('div', { class: 'form-fields' }, rows),
    notice.element,
    el(
      'div',
      { class: 'form-actions' },
      submit,
      onCancel
        ? el('button', { type: 'button', class: 'btn btn-quiet', text: t('crud.cancel'), onclick: onCancel })
        : null,
    ),
  );

  const body = () => {
    const out = {};
    for (const field of fields) {
      const value = readInput(field, inputs.get(field.name));
      if (values === null) {
        if (value !== '') out[field.name] = value;
        else if (field.emptyAs === null) out[field.name] = null;
        continue;
      }
      const before =
        field.type === 'checkbox' ? values[field.name] === true : shown(field, values[field.name]);
      const now = field.type === 'checkbox' ? value : inputs.get(field.name).value.trim();
      if (now === before) continue;
      out[field.name] = value === '' ? null : value;
    }
    return out;
  };

  const markInvalid = (named) => {
    for (const [name, input] of inputs) {
      if (named.has(name)) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      submit.disabled = true;
      try {
        const answer = await onSubmit(body());
        markInvalid(new Set());
        notice.clear();
        return answer;
      } catch (err) {
        markInvalid(fieldsNamed(err));
        notice.problem(err);
        const first = [...inputs.values()].find((i) => i.getAttribute('aria-invalid') === 'true');
        first?.focus();
      } finally {
        submit.disabled = false;
      }
    })();
  });

  return {
    element: form,
    focus: () => inputs.values().next().value?.focus(),
    input: (name) => inputs.get(name),
  };
}
