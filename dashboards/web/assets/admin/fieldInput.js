import { el } from '../dom.js';
import { t } from '../i18n.js';

/**
 * One form field from its description: `{name, label, type, required, options, ref, hint, emptyAs}`.
 * Types: text, password, number, datetime (the browser's local time, sent as RFC 3339), list (comma
 * separated, sent as an array), checkbox, select (`options`), and ref (an id of another record, with
 * suggestions from `refs.options(ref)`). `optionalMark`: say "(optional)" by the fields a new record
 * may leave empty.
 */
export function fieldInput(field, { id, value, refs, optionalMark = false }) {
  const common = { id, name: field.name, dataset: { field: field.name } };
  const hint = field.hint ? el('span', { class: 'field-hint', id: `${id}-hint`, text: t(field.hint) }) : null;
  const described = hint ? { 'aria-describedby': `${id}-hint` } : {};
  if (field.type === 'checkbox') {
    const box = el('input', { ...common, ...described, type: 'checkbox', checked: value === true });
    return el('label', { class: 'field field-check' }, box, el('span', { text: t(field.label) }), hint);
  }
  let input;
  if (field.type === 'select') {
    input = el(
      'select',
      { ...common, ...described, required: field.required },
      field.required ? null : el('option', { value: '', text: '—' }),
      field.options.map((o) =>
        el('option', { value: o, text: t(`${field.optionPrefix}.${o}`), selected: o === value }),
      ),
    );
  } else {
    const type =
      field.type === 'datetime'
        ? 'datetime-local'
        : field.type === 'number' || field.type === 'password'
          ? field.type
          : 'text';
    input = el('input', {
      ...common,
      ...described,
      type,
      value: shown(field, value),
      placeholder: field.placeholder,
      required: field.required,
      autocomplete: field.type === 'password' ? 'new-password' : 'off',
      spellcheck: 'false',
      step: field.type === 'number' ? 'any' : field.type === 'datetime' ? '1' : null,
      list: field.type === 'ref' ? `${id}-list` : null,
    });
  }
  const label = el(
    'span',
    {},
    t(field.label),
    field.required || !optionalMark
      ? null
      : el('span', { class: 'field-optional', text: ` ${t('crud.optional')}` }),
  );
  const list =
    field.type === 'ref'
      ? el(
          'datalist',
          { id: `${id}-list` },
          refs.options(field.ref).map((o) => el('option', { value: o.id, label: o.label })),
        )
      : null;
  return el('label', { class: 'field' }, label, input, list, hint);
}

const pad = (n) => String(n).padStart(2, '0');

/** The value as the input shows it: a time in the browser's local time for datetime-local. */
export function shown(field, value) {
  if (value === null || value === undefined) return '';
  if (field.type === 'list') return Array.isArray(value) ? value.join(', ') : String(value);
  if (field.type === 'datetime') {
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return '';
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  return String(value);
}

/** What the input holds, as the API takes it; '' for an empty input. */
export function readInput(field, input) {
  if (field.type === 'checkbox') return input.checked;
  const text = input.value.trim();
  if (text === '') return '';
  if (field.type === 'number') return Number(text);
  if (field.type === 'list')
    return text
      .split(/[,，]/)
      .map((s) => s.trim())
      .filter(Boolean);
  if (field.type === 'datetime') {
    const d = new Date(text);
    // A time the browser cannot read goes as typed: the API says what is wrong with it.
    return Number.isNaN(d.getTime()) ? text : d.toISOString();
  }
  return text;
}

/** `('audit', {from: 'datetime'})` → `[{name: 'from', type: 'datetime', label: 'audit.from'}]`. */
export const describeFields = (prefix, types) =>
  Object.entries(types).map(([name, type]) => ({ name, type, label: `${prefix}.${name}` }));
