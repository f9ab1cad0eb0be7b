import { ApiError } from './api.js';
import { t } from './i18n.js';
import { resolveDialogElement } from './resolveDialogMarkup.js';
import { renderHistoryRows } from './seals.js';

const $ = (id) => document.getElementById(id);

/** A short reason for a failed call, in the page's language. */
export function reasonOf(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error.network');
    if (err.status === 403) return t('error.forbidden');
    if (err.status === 404) return t('error.notFound');
    if (err.status === 409) return t('error.conflict');
    return t('error.status', { status: err.status });
  }
  return String(err?.message ?? err);
}

/** Door history of one seal. */
export function createHistoryDialog(api, { onUnauthorized }) {
  const dialog = $('history-dialog');
  const status = $('history-status');
  const table = $('history-table');
  const rows = $('history-rows');
  let current = 0;
  $('history-close').addEventListener('click', () => dialog.close());

  return {
    async open(seal) {
      const ticket = ++current;
      $('history-sub').textContent = `${seal.address ?? seal.householdId ?? ''} · ${seal.sensorId}`;
      status.textContent = t('history.loading');
      table.hidden = true;
      rows.replaceChildren();
      if (!dialog.open) dialog.showModal();
      try {
        const answer = await api.history(seal.sensorId);
        if (ticket !== current) return;
        const items = answer?.items ?? [];
        renderHistoryRows(rows, items);
        table.hidden = items.length === 0;
        status.textContent = items.length === 0 ? t('history.none') : '';
      } catch (err) {
        if (ticket !== current) return;
        if (err instanceof ApiError && err.status === 401) {
          dialog.close();
          onUnauthorized();
          return;
        }
        status.textContent = t('history.failed', { reason: reasonOf(err) });
      }
    },
    close: () => dialog.close(),
  };
}

/** Resolve: an outcome and a note, which the contract requires. */
export function createResolveDialog({ submit }) {
  const dialog = resolveDialogElement();
  const form = $('resolve-form');
  const note = $('resolve-note');
  const error = $('resolve-error');
  const send = $('resolve-submit');
  let alert = null;

  $('resolve-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    alert = null;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      if (!alert) return;
      const text = note.value.trim();
      if (!text) {
        error.textContent = t('resolve.noteRequired');
        note.setAttribute('aria-invalid', 'true');
        note.focus();
        return;
      }
      note.removeAttribute('aria-invalid');
      const outcome = new FormData(form).get('outcome') ?? 'visited';
      error.textContent = '';
      send.disabled = true;
      try {
        await submit(alert, String(outcome), text);
        dialog.close();
        // The resolved row is gone, and focus with it: put it somewhere that makes sense.
        if (!document.activeElement || document.activeElement === document.body) $('alerts-title').focus();
      } catch (err) {
        error.textContent = t('resolve.failed', { reason: reasonOf(err) });
      } finally {
        send.disabled = false;
      }
    })();
  });

  return {
    open(target, place) {
      alert = target;
      $('resolve-sub').textContent = `${t(`alertType.${target.type}`)} · ${place.address}`;
      form.reset();
      note.removeAttribute('aria-invalid');
      error.textContent = '';
      dialog.showModal();
      note.focus();
    },
    close: () => dialog.close(),
  };
}
