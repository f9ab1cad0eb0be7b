import { el } from './dom.js';
import { t } from './i18n.js';
import { formatAge, formatFull, toMs } from './time.js';

const TYPE_RANK = {
  breach: 0,
  tamper: 0,
  outage: 1,
  offline: 2,
  openCount: 2,
  doorLeftOpen: 2,
  lowBattery: 3,
};
const SEVERITY_RANK = { critical: 0, warning: 1, maintenance: 2 };
const COUNTED_TYPES = new Set(['breach', 'openCount', 'tamper']);

/**
 * Breaches and tamper on top; within a rank, unacknowledged before
 * acknowledged; then the longest waiting first.
 */
export function compareAlerts(a, b) {
  return (
    (TYPE_RANK[a.type] ?? 4) - (TYPE_RANK[b.type] ?? 4) ||
    (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1) ||
    (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
    (toMs(a.openedAt) ?? 0) - (toMs(b.openedAt) ?? 0) ||
    String(a.id).localeCompare(String(b.id))
  );
}

/**
 * The alert queue as a keyed list: a row is rebuilt only when its alert
 * changed, and moved only when its place changed, so the aria-live list
 * announces news and not every re-sort or ticking age.
 */
export class AlertQueue {
  constructor(list, { describe, onAck, onResolve, onDetail }) {
    this.list = list;
    this.describe = describe;
    this.onAck = onAck;
    this.onResolve = onResolve;
    this.onDetail = onDetail;
    this.alerts = new Map();
    this.rows = new Map();
    this.pending = new Set();
  }

  /** Replaces the whole queue (initial load, reset). */
  setAll(alerts) {
    this.alerts = new Map(alerts.filter((a) => a.status !== 'resolved').map((a) => [a.id, a]));
    this.render();
  }

  /** One alert changed; resolved alerts leave the queue. */
  apply(alert) {
    if (alert.status === 'resolved') this.alerts.delete(alert.id);
    else this.alerts.set(alert.id, { ...this.alerts.get(alert.id), ...alert });
    this.render();
  }

  setPending(id, pending) {
    if (pending) this.pending.add(id);
    else this.pending.delete(id);
    this.render(new Set([id]));
  }

  get size() {
    return this.alerts.size;
  }

  sorted() {
    return [...this.alerts.values()].sort(compareAlerts);
  }

  /** Rebuilds changed rows (or all, after a language switch), then puts rows in order. */
  render(force = null) {
    for (const [id, row] of this.rows) {
      if (!this.alerts.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    const ordered = this.sorted();
    ordered.forEach((alert, index) => {
      const signature = this.signature(alert);
      let row = this.rows.get(alert.id);
      if (!row) {
        row = el('li', { class: 'alert-row', dataset: { alertId: alert.id } });
        this.rows.set(alert.id, row);
      }
      if (row.dataset.signature !== signature || force === true || force?.has(alert.id)) {
        this.fill(row, alert);
        row.dataset.signature = signature;
      }
      if (this.list.children[index] !== row) this.list.insertBefore(row, this.list.children[index] ?? null);
    });
  }

  signature(alert) {
    const place = this.describe(alert);
    return JSON.stringify([
      alert.status,
      alert.count,
      alert.severity,
      alert.assignee,
      place.address,
      place.path,
      place.assignee,
      this.pending.has(alert.id),
    ]);
  }

  fill(row, alert) {
    const active = document.activeElement;
    const focusKey = active instanceof HTMLElement && row.contains(active) ? active.dataset.focusKey : null;
    const { address, path, assignee } = this.describe(alert);
    const severity = alert.severity ?? 'warning';
    const opened = toMs(alert.openedAt);
    const pending = this.pending.has(alert.id);
    row.className = `alert-row sev-${severity} status-${alert.status} type-${alert.type}`;

    const count = Number(alert.count ?? 1);
    const countText =
      COUNTED_TYPES.has(alert.type) && count > 0
        ? t(alert.type === 'tamper' ? 'alerts.events' : count === 1 ? 'alerts.opensOne' : 'alerts.opens', {
            n: count,
          })
        : null;

    row.replaceChildren(
      el(
        'div',
        { class: 'alert-what' },
        el('span', { class: `badge badge-${severity}`, text: t(`alertType.${alert.type}`) }),
        el('span', { class: 'alert-address', text: address }),
        path ? el('span', { class: 'alert-path', text: path }) : null,
      ),
      el(
        'div',
        { class: 'alert-facts' },
        el(
          'span',
          { class: 'alert-age', title: formatFull(opened) },
          el('span', { class: 'visually-hidden', text: `${t('alerts.age')} ` }),
          el('span', {
            class: 'age-value',
            dataset: opened === null ? {} : { since: String(opened) },
            text: opened === null ? '' : formatAge(Date.now() - opened),
          }),
        ),
        countText ? el('span', { class: 'alert-count', text: countText }) : null,
        el('span', { class: `alert-status status-${alert.status}`, text: t(`status.${alert.status}`) }),
        assignee
          ? assigneeLabel(assignee)
          : el('span', { class: 'alert-assignee', text: t('alerts.unassigned') }),
      ),
      el(
        'div',
        { class: 'alert-actions' },
        alert.status === 'open'
          ? el('button', {
              type: 'button',
              class: 'btn btn-ack',
              disabled: pending,
              dataset: { focusKey: `ack:${alert.id}`, action: 'ack' },
              text: pending ? t('alerts.acking') : t('alerts.ack'),
              onclick: () => this.onAck(alert),
            })
          : null,
        el('button', {
          type: 'button',
          class: 'btn btn-resolve',
          disabled: pending,
          dataset: { focusKey: `resolve:${alert.id}`, action: 'resolve' },
          text: t('alerts.resolve'),
          onclick: () => this.onResolve(alert),
        }),
        // Reassign, note, silence the seal: in the alert's dialog.
        el('button', {
          type: 'button',
          class: 'btn btn-detail',
          dataset: { focusKey: `detail:${alert.id}`, action: 'detail' },
          'aria-label': t('alerts.detailsOf', { address }),
          text: t('alerts.details'),
          onclick: () => this.onDetail(alert),
        }),
      ),
    );
    if (focusKey) {
      const again =
        row.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`) ??
        row.querySelector('[data-action="resolve"]');
      again?.focus({ preventScroll: true });
    }
  }
}

/** "Assigned to {name}" with the name in its own element: the label is translated, the name is data. */
function assigneeLabel(name) {
  const [before = '', after = ''] = t('alerts.assignee', { name: '\u0000' }).split('\u0000');
  return el(
    'span',
    { class: 'alert-assignee' },
    before,
    el('span', { class: 'alert-assignee-name', text: name }),
    after,
  );
}
