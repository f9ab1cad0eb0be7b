import { reasonOf } from './dialogs.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { formatFull } from './time.js';

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const TYPES = ['breach', 'tamper', 'doorLeftOpen', 'openCount', 'offline', 'outage', 'lowBattery'];

/** A local date (yyyy-mm-dd from a date input) as the start of that day, in ISO with offset. */
const dayStart = (value) => (value ? new Date(`${value}T00:00:00`).toISOString() : null);
const dayAfter = (value) =>
  value ? new Date(new Date(`${value}T00:00:00`).getTime() + 86_400_000).toISOString() : null;

/**
 * The alert history search (issue 18.4): resolved alerts too, by status, type, dates and words in
 * the address, notes and outcome, a page at a time. A result opens the alert's dialog.
 */
export function createAlertSearch({ api, describe, openAlert, failed }) {
  const dialog = $('search-dialog');
  const form = $('search-form');
  const results = $('search-results');
  const line = $('search-status-line');
  const prev = $('search-prev');
  const next = $('search-next');
  let offset = 0;
  let total = 0;
  let ticket = 0;

  const typeSelect = $('search-type');
  const fillTypes = () =>
    typeSelect.replaceChildren(
      el('option', { value: '', text: t('search.typeAll') }),
      ...TYPES.map((type) => el('option', { value: type, text: t(`alertType.${type}`) })),
    );
  fillTypes();

  $('search-open').addEventListener('click', () => {
    fillTypes();
    dialog.showModal();
    $('search-q').focus();
  });
  $('search-close').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    offset = 0;
    void run();
  });
  prev.addEventListener('click', () => {
    offset = Math.max(0, offset - PAGE);
    void run();
  });
  next.addEventListener('click', () => {
    offset += PAGE;
    void run();
  });

  function params() {
    const data = new FormData(form);
    const from = dayStart(data.get('from'));
    const to = dayAfter(data.get('to'));
    const q = String(data.get('q') ?? '').trim();
    return {
      status: String(data.get('status') || 'all'),
      ...(data.get('type') ? { type: String(data.get('type')) } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(q ? { q } : {}),
      limit: String(PAGE),
      offset: String(offset),
    };
  }

  async function run() {
    const query = params();
    if (query.from && query.to && query.to <= query.from) {
      line.textContent = t('search.badRange');
      return;
    }
    const mine = ++ticket;
    line.textContent = t('search.loading');
    $('search-submit').disabled = true;
    try {
      const page = await api.searchAlerts(query);
      if (mine !== ticket) return;
      total = Number.isFinite(page.total) ? page.total : page.items.length;
      results.replaceChildren(...page.items.map(resultRow));
      line.textContent =
        page.items.length === 0
          ? t('search.none')
          : t('search.total', { total, from: offset + 1, to: offset + page.items.length });
      prev.disabled = offset === 0;
      next.disabled = offset + page.items.length >= total;
    } catch (err) {
      if (failed(err)) {
        dialog.close();
        return;
      }
      line.textContent = t('search.failed', { reason: reasonOf(err) });
    } finally {
      $('search-submit').disabled = false;
    }
  }

  function resultRow(alert) {
    const place = describe(alert);
    const outcome = alert.outcome ? t(`outcome.${alert.outcome}`) : null;
    return el(
      'li',
      { class: `search-row sev-${alert.severity ?? 'warning'} status-${alert.status}` },
      el(
        'button',
        {
          type: 'button',
          class: 'link-btn search-open-alert',
          onclick: () => openAlert(alert),
        },
        el(
          'span',
          { class: 'search-what' },
          el('span', {
            class: `badge badge-${alert.severity ?? 'warning'}`,
            text: t(`alertType.${alert.type}`),
          }),
          el('span', { class: 'search-address', text: place.address }),
        ),
        el(
          'span',
          { class: 'search-facts' },
          el('time', { datetime: alert.openedAt, text: formatFull(alert.openedAt) }),
          el('span', { class: `alert-status status-${alert.status}`, text: t(`status.${alert.status}`) }),
          outcome ? el('span', { text: outcome }) : null,
          alert.note ? el('span', { class: 'search-note', text: alert.note }) : null,
        ),
      ),
    );
  }

  return { close: () => dialog.close() };
}
