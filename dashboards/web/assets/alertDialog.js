import { ApiError } from './api.js';
import { reasonOf } from './dialogs.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { formatFull, formatTime } from './time.js';

const $ = (id) => document.getElementById(id);
const WORKERS_FRESH_MS = 60_000;

/**
 * One alert's dialog, the command room's hands (issue 18.4): its history, and buttons to give it
 * to another worker of its grid (who is notified), add a note, and silence its seal for a while
 * (or lift the silence). `grid` names nodes and gives an alert's path; `onChanged(alert)` puts a
 * changed alert back in the queue; `failed(err)` handles a lost sign-in (true: handled).
 */
export function createAlertDialog({ api, grid, describe, onChanged, failed }) {
  const dialog = $('alert-dialog');
  const status = $('alert-dialog-status');
  const error = $('alert-dialog-error');
  const history = $('alert-dialog-history');
  const workerSelect = $('assign-worker');
  const silenceForm = $('silence-form');
  const silenceLine = $('alert-dialog-silenced');
  const unsilence = $('unsilence-submit');
  let alert = null;
  let ticket = 0;
  let workers = { at: 0, list: null };

  $('alert-dialog-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    alert = null;
    ticket++;
  });

  /** Runs one action: its button waits, the outcome is said in the status line or the error line. */
  const act = async (button, run, done, failedKey) => {
    if (!alert) return;
    error.textContent = '';
    status.textContent = '';
    button.disabled = true;
    try {
      const message = await run(alert);
      status.textContent = done(message);
      // On a phone the button may be far below: bring the outcome into view.
      status.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      if (failed(err)) {
        dialog.close();
        return;
      }
      error.textContent = t(failedKey, { reason: reasonOf(err) });
      error.scrollIntoView({ block: 'nearest' });
    } finally {
      button.disabled = false;
    }
  };

  $('assign-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const workerId = workerSelect.value;
    if (!workerId) return;
    const name = workerSelect.selectedOptions[0]?.dataset.name ?? workerId;
    void act(
      $('assign-submit'),
      async (a) => {
        const updated = await api.assign(a.id, workerId);
        onChanged(updated);
        alert = updated;
        await loadDetail(updated);
      },
      () => t('assign.done', { name }),
      'assign.failed',
    );
  });

  /** A required text field's trimmed value; empty: says so, marks the field and returns null. */
  const required = (field, emptyKey) => {
    const text = field.value.trim();
    if (text) {
      field.removeAttribute('aria-invalid');
      return text;
    }
    error.textContent = t(emptyKey);
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    return null;
  };

  $('comment-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const note = $('comment-note');
    const text = required(note, 'comment.empty');
    if (text === null) return;
    void act(
      $('comment-submit'),
      async (a) => {
        const detail = await api.comment(a.id, text);
        note.value = '';
        renderHistory(detail?.history ?? []);
      },
      () => t('comment.done'),
      'comment.failed',
    );
  });

  silenceForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = required($('silence-reason'), 'silence.noReason');
    if (text === null) return;
    const hours = Number($('silence-hours').value) || 24;
    void act(
      $('silence-submit'),
      async (a) => {
        const until = new Date(Date.now() + hours * 3_600_000).toISOString();
        const silence = await api.silence(a.sensorId, until, text);
        showSilence(silence);
        return silence;
      },
      (silence) => t('silence.done', { until: formatFull(silence.until) }),
      'silence.failed',
    );
  });

  unsilence.addEventListener('click', () => {
    void act(
      unsilence,
      async (a) => {
        await api.unsilence(a.sensorId);
        showSilence(null);
      },
      () => t('silence.lifted'),
      'silence.failed',
    );
  });

  function showSilence(silence) {
    silenceLine.hidden = !silence;
    silenceLine.textContent = silence
      ? t('silence.line', { until: formatFull(silence.until), by: silence.by, reason: silence.reason })
      : '';
    unsilence.hidden = !silence;
  }

  function renderFacts(a) {
    const place = describe(a);
    $('alert-dialog-sub').textContent = [t(`alertType.${a.type}`), place.address, place.path]
      .filter(Boolean)
      .join(' · ');
    $('alert-dialog-facts').textContent = t('alertDialog.facts', {
      status: t(`status.${a.status}`),
      assignee: place.assignee ?? t('alerts.unassigned'),
      time: formatFull(a.openedAt),
    });
    $('assign-form').hidden = a.status === 'resolved';
  }

  function renderHistory(items) {
    history.replaceChildren(
      ...(items.length === 0
        ? [el('li', { class: 'muted', text: t('alertDialog.noHistory') })]
        : [...items].reverse().map(changeRow)),
    );
  }

  function changeRow(change) {
    const d = change.detail ?? {};
    const what =
      change.kind === 'assigned'
        ? t('change.assignedDetail', { from: nameOf(d.from), to: nameOf(d.to) })
        : change.kind === 'notified'
          ? [d.channel, nameOf(d.recipientId), d.status].filter(Boolean).join(' · ')
          : change.kind === 'resolved' && d.outcome
            ? `${t(`outcome.${d.outcome}`)}${d.note ? `：${d.note}` : ''}`
            : (d.note ?? '');
    return el(
      'li',
      { class: `change change-${change.kind}` },
      el('time', { datetime: change.at, text: formatTime(change.at) }),
      el('span', { class: 'change-kind', text: t(`change.${change.kind}`) }),
      el('span', { class: 'change-actor', text: change.actor === 'system' ? '' : nameOf(change.actor) }),
      what ? el('span', { class: 'change-what', text: String(what) }) : null,
    );
  }

  const nameOf = (id) => {
    if (id === null || id === undefined) return t('alerts.unassigned');
    return workers.list?.find((w) => w.id === id)?.name ?? String(id);
  };

  /** Workers who may take the alert: of its node or one above it (their subtree holds it). */
  async function fillWorkers(a, mine) {
    if (!workers.list || Date.now() - workers.at > WORKERS_FRESH_MS) {
      try {
        workers = { at: Date.now(), list: (await api.workers())?.items ?? [] };
      } catch (err) {
        if (failed(err)) return;
        workers = { at: 0, list: [] };
      }
    }
    if (mine !== ticket) return;
    const path = grid().path(a.gridId);
    const onPath = new Map(path.map((n, depth) => [n.id, depth]));
    const eligible = workers.list
      .filter((w) => onPath.has(w.gridId) && w.id !== a.assignee)
      // The alert's own node first: its workers are nearest to the door.
      .sort((x, y) => onPath.get(y.gridId) - onPath.get(x.gridId) || String(x.name).localeCompare(y.name));
    workerSelect.replaceChildren(
      ...eligible.map((w) =>
        el('option', {
          value: w.id,
          dataset: { name: w.name ?? w.id },
          text: t('assign.option', { name: w.name ?? w.id, node: grid().name(w.gridId) }),
        }),
      ),
    );
    $('assign-submit').disabled = eligible.length === 0;
    if (eligible.length === 0) workerSelect.append(el('option', { value: '', text: t('assign.none') }));
  }

  async function loadDetail(a) {
    const mine = ticket;
    const [detail, seal] = await Promise.all([
      api.alert(a.id),
      a.sensorId ? api.seal(a.sensorId).catch(() => null) : Promise.resolve(null),
    ]);
    if (mine !== ticket) return;
    renderFacts(detail);
    renderHistory(detail.history ?? []);
    showSilence(seal?.silenced ?? null);
    await fillWorkers(detail, mine);
  }

  return {
    async open(target) {
      alert = target;
      const mine = ++ticket;
      error.textContent = '';
      status.textContent = t('alertDialog.loading');
      for (const form of ['assign-form', 'comment-form', 'silence-form']) $(form).reset();
      silenceForm.hidden = !target.sensorId;
      renderFacts(target);
      history.replaceChildren();
      showSilence(null);
      if (!dialog.open) dialog.showModal();
      try {
        await loadDetail(target);
        if (mine === ticket) status.textContent = '';
      } catch (err) {
        if (mine !== ticket) return;
        if (err instanceof ApiError && failed(err)) {
          dialog.close();
          return;
        }
        status.textContent = t('alertDialog.failed', { reason: reasonOf(err) });
      }
    },
    close: () => dialog.close(),
  };
}
