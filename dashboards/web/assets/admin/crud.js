import { el } from '../dom.js';
import { t } from '../i18n.js';
import { buildForm } from './form.js';
import { pagedList } from './pager.js';
import { pickerForm } from './picker.js';
import { createNotice } from './problem.js';
import { secretBox } from './secretOnce.js';
import { buildTable } from './table.js';

const PAGE = 50;
/** How long a remove button waits for its second click. */
const CONFIRM_MS = 6000;

/**
 * One screen for one entity of entities.js: its list (paged), a create form, an edit form per row,
 * remove with a second click to confirm, and the entity's own row actions. Every call goes to the
 * API route the description names; a refusal is shown next to the form that made it.
 */
export function crudScreen(entity, { api, refs, root, expired }) {
  const what = t(entity.title);
  let offset = 0;
  let scope = '';
  const notice = createNotice();
  const secrets = el('div', { class: 'secrets' });
  const formSlot = el('div', { class: 'form-slot' });
  const listSlot = el('div', { class: 'list-slot' });
  const newButton = el('button', {
    type: 'button',
    class: 'btn btn-primary',
    'aria-expanded': 'false',
    text: `${t('crud.new')} · ${what}`,
    onclick: () => void openForm(null),
  });

  /** Unauthorized anywhere means the session ended: the page signs in again. */
  const failed = (err) => (err?.status === 401 ? expired() : notice.problem(err));

  async function reload() {
    if (entity.list.scope && !scope) {
      listSlot.replaceChildren(el('p', { class: 'empty', text: t('crud.needScope', { what }) }));
      return;
    }
    let page;
    try {
      [page] = await Promise.all([
        entity.list.load(api, { limit: PAGE, offset, scope }),
        refs.load(entity.columns),
      ]);
    } catch (err) {
      failed(err);
      return;
    }
    listSlot.replaceChildren(
      ...pagedList({
        total: page.total,
        rows: page.items,
        table: (rows) =>
          buildTable({ caption: what, columns: entity.columns, rows, actions: rowActions, refs }),
        limit: PAGE,
        offset,
        // A household's schedule comes whole; the other lists a page at a time.
        onPage: entity.list.scope ? null : goTo,
      }),
    );
  }

  const goTo = (next) => {
    offset = next;
    void reload();
  };

  async function openForm(row) {
    const fields = row === null ? entity.create : entity.edit;
    await refs.load(fields);
    const close = () => {
      formSlot.replaceChildren();
      newButton.setAttribute('aria-expanded', 'false');
      newButton.focus();
    };
    const values = row === null ? null : row;
    const form = buildForm({
      title: row === null ? t('crud.creating', { what }) : t('crud.editing', { id: entity.label(row) }),
      hint: row === null ? null : t('crud.editHint'),
      fields,
      values,
      refs,
      submitLabel: t(row === null ? 'crud.create' : 'crud.save'),
      onCancel: close,
      onSubmit: async (body) => {
        const answer =
          row === null
            ? await api.call('POST', entity.path, body)
            : await api.call('PATCH', entity.item(row), body);
        refs.forget();
        close();
        if (row === null && entity.secret) showSecret(answer);
        // Made for another household than the one shown: show that household's schedule.
        if (entity.list.scope && answer.householdId) showScope(answer.householdId);
        // The list is fresh before the notice says it is done.
        await reload();
        notice.say(t(row === null ? 'crud.created' : 'crud.saved', { id: entity.label(answer) }));
        return answer;
      },
    });
    if (row === null && entity.list.scope && scope) form.input('householdId').value = scope;
    formSlot.replaceChildren(form.element);
    newButton.setAttribute('aria-expanded', String(row === null));
    notice.clear();
    form.focus();
  }

  function showSecret(answer) {
    const value = answer[entity.secret.field];
    const box = secretBox([{ what: t(entity.secret.what, { id: entity.label(answer) }), value }]);
    secrets.replaceChildren(box);
  }

  async function run(call, done) {
    try {
      const answer = await api.call(call.method, call.path);
      const [key, values] = done(answer);
      refs.forget();
      await reload();
      notice.say(t(key, values));
    } catch (err) {
      failed(err);
    }
  }

  /** A remove that acts on the second click only (no browser confirm() that a test or a kiosk blocks). */
  function removeButton(row) {
    const label = t(entity.removeLabel ?? 'crud.remove');
    let armed = null;
    const button = el('button', { type: 'button', class: 'btn btn-danger', text: label });
    button.addEventListener('click', () => {
      if (armed === null) {
        button.textContent = t('crud.confirmRemove', { id: entity.label(row) });
        button.classList.add('is-armed');
        armed = setTimeout(() => {
          armed = null;
          button.textContent = label;
          button.classList.remove('is-armed');
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(armed);
      void run({ method: 'DELETE', path: entity.item(row) }, (answer) => [
        'crud.removed',
        { id: entity.label(answer) },
      ]);
    });
    return button;
  }

  function rowActions(row) {
    return [
      entity.edit
        ? el('button', {
            type: 'button',
            class: 'btn',
            text: t('crud.edit'),
            onclick: () => void openForm(row),
          })
        : null,
      (entity.actions ?? []).map((action) =>
        el('button', {
          type: 'button',
          class: 'btn',
          text: t(`action.${action.key}`),
          onclick: () => void run({ method: action.method, path: action.path(row) }, action.done),
        }),
      ),
      entity.remove && (entity.removable?.(row) ?? true) ? removeButton(row) : null,
    ];
  }

  const toolbar = el('div', { class: 'toolbar' }, entity.create ? newButton : null);
  if (entity.list.scope)
    toolbar.append(
      pickerForm({
        field: {
          name: 'scope',
          label: 'field.householdId',
          type: 'ref',
          ref: entity.list.scope,
          required: true,
        },
        id: `${entity.key}-scope`,
        button: 'crud.show',
        refs,
        pickFirst: true,
        onPick: (value) => {
          scope = value;
          void reload();
        },
      }),
    );

  function showScope(householdId) {
    scope = householdId;
    const input = toolbar.querySelector('.scope-form input');
    if (input) input.value = householdId;
  }

  root.replaceChildren(toolbar, notice.element, secrets, formSlot, listSlot);
  return { reload };
}
