import { el } from '../dom.js';
import { t } from '../i18n.js';
import { fieldInput } from './fieldInput.js';

/**
 * A one-field form that picks a record (a household whose schedule to show, a grid node whose
 * policy to show); `pickFirst` picks the first suggestion when they arrive. The suggestions arrive
 * after the form is shown: a slow list never holds a screen back.
 */
export function pickerForm({ field, id, button, refs, onPick, pickFirst = false }) {
  const row = fieldInput(field, { id, value: '', refs });
  const input = row.querySelector('input');
  const form = el(
    'form',
    { class: 'scope-form', novalidate: true },
    row,
    el('button', { type: 'submit', class: 'btn', text: t(button) }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value) onPick(value);
  });
  void refs.load([field]).then(() => {
    row
      .querySelector('datalist')
      ?.replaceWith(fieldInput(field, { id, value: '', refs }).querySelector('datalist'));
    // The policy screen opens on the top of the caller's grid rather than on an empty page.
    const first = refs.options(field.ref)[0];
    if (pickFirst && first && input.value === '') {
      input.value = first.id;
      onPick(first.id);
    }
  });
  return form;
}
