import { el, replaceChildrenKeepingFocus } from '../dom.js';
import { t } from '../i18n.js';
import { formatAge, formatTime, toMs } from '../time.js';

const LOW_BATTERY_PCT = 20;

/**
 * The phone number in a household's free-text contact ("张桂兰 138-0013-8000"): the longest run of
 * digits with the separators people type, at least 5 digits (a landline extension is not a number
 * to call). Null when there is none; the contact is then shown, not linked.
 */
export function phoneOf(contact) {
  if (!contact) return null;
  const runs = contact.match(/\+?\d[\d\s().-]{3,}\d/g) ?? [];
  const numbers = runs.map((r) => r.replace(/[^\d+]/g, '')).filter((n) => n.replace('+', '').length >= 5);
  numbers.sort((a, b) => b.length - a.length);
  return numbers[0] ?? null;
}

/** Who to call, without the number: the contact's text with its phone number taken out. */
function nameOf(contact, phone) {
  if (!contact) return '';
  const name = contact.replace(/\+?\d[\d\s().-]{3,}\d/g, '').trim();
  return name || phone || contact;
}

/** A tap-to-call button for the household's contact, or a line saying there is none. */
export function callButton(contact) {
  const phone = phoneOf(contact);
  if (!phone) {
    return el('p', { class: 'muted contact-none', text: contact || t('worker.noContact') });
  }
  return el(
    'a',
    { class: 'btn btn-call', href: `tel:${phone}` },
    el('span', { class: 'call-icon', 'aria-hidden': 'true', text: '☎' }),
    el('span', { class: 'call-text' }, t('worker.call', { who: nameOf(contact, phone) })),
    el('span', { class: 'call-number', text: phone }),
  );
}

/** The quarantine line: until when, or from when if it has not started. */
export function quarantineLine(quarantine, now = Date.now()) {
  if (!quarantine) return t('worker.noQuarantine');
  const start = toMs(quarantine.start);
  if (start !== null && start > now) return t('worker.quarantineFrom', { start: formatTime(start, now) });
  if (!quarantine.end) return t('worker.quarantineOpen');
  return t('worker.quarantineUntil', { end: formatTime(quarantine.end, now) });
}

/**
 * One seal's state as large chips: door, online, armed, battery, silenced. A door open while
 * armed is red, unless an announced opening allows it (`announced`): then it is only a warning.
 */
export function sealChips(seal, announced = false) {
  const breach = seal.armed && seal.door === 'open' && !announced;
  const low = seal.battery !== null && seal.battery !== undefined && seal.battery < LOW_BATTERY_PCT;
  const doorKey =
    seal.door === 'open'
      ? 'worker.doorOpen'
      : seal.door === 'closed'
        ? 'worker.doorClosed'
        : 'worker.doorUnknown';
  const silencedUntil = toMs(seal.silencedUntil ?? seal.silenced?.until);
  return el(
    'ul',
    { class: 'chips', 'aria-label': t('worker.sealName', { id: seal.sensorId }) },
    el('li', {
      class: `chip ${breach ? 'chip-crit' : seal.door === 'open' ? 'chip-warn' : 'chip-ok'}`,
      text: t(doorKey),
    }),
    el('li', {
      class: `chip ${seal.online ? 'chip-ok' : 'chip-warn'}`,
      text: t(seal.online ? 'online.yes' : 'online.no'),
    }),
    el('li', {
      class: `chip ${seal.armed ? 'chip-ok' : 'chip-muted'}`,
      text: t(seal.armed ? 'seal.armed' : 'seal.disarmed'),
    }),
    el('li', {
      class: `chip ${low ? 'chip-warn' : 'chip-plain'}`,
      text:
        seal.battery === null || seal.battery === undefined
          ? t('worker.batteryUnknown')
          : t('worker.battery', { n: seal.battery }),
    }),
    seal.tamper ? el('li', { class: 'chip chip-crit', text: t('seal.tamper') }) : null,
    silencedUntil !== null && silencedUntil > Date.now()
      ? el('li', {
          class: 'chip chip-muted',
          text: t('worker.silenced', { until: formatTime(silencedUntil) }),
        })
      : null,
  );
}

/** An unresolved alert with its buttons: acknowledge while open, resolve always. */
export function alertBlock(alert, { onAck, onResolve }, now = Date.now()) {
  const opened = toMs(alert.openedAt) ?? now;
  const open = alert.status === 'open';
  return el(
    'div',
    {
      class: `alert-box ${open ? 'is-open' : 'is-acked'} sev-${alert.severity}`,
      dataset: { alertId: alert.id, status: alert.status },
    },
    el(
      'p',
      { class: 'alert-line' },
      el('span', { class: 'alert-type', text: t(`alertType.${alert.type}`) }),
      el('span', { class: 'alert-age', text: t('worker.alertSince', { age: formatAge(now - opened) }) }),
    ),
    open ? null : el('p', { class: 'alert-acked', text: t('worker.acked', { who: alert.ackedBy ?? '' }) }),
    el(
      'div',
      { class: 'alert-actions' },
      open
        ? el('button', {
            type: 'button',
            class: 'btn btn-danger',
            dataset: { action: 'ack', focusKey: `ack-${alert.id}` },
            text: t('worker.ack'),
            onclick: (event) => onAck(alert, event.currentTarget),
          })
        : null,
      el('button', {
        type: 'button',
        class: open ? 'btn btn-secondary' : 'btn btn-primary',
        dataset: { action: 'resolve', focusKey: `resolve-${alert.id}` },
        text: t('worker.resolve'),
        onclick: () => onResolve(alert),
      }),
    ),
  );
}

/** The announced opening in force, if any: until when, and why. */
export function announcementLine(announcement, now = Date.now()) {
  if (!announcement) return null;
  return el('p', {
    class: 'announced',
    text: t('worker.announcedNow', { end: formatTime(announcement.end, now), reason: announcement.reason }),
  });
}

/** One household: what needs doing first (its alerts), then its state, then who to call. */
function householdCard(status, handlers, now) {
  const { household, seals, alerts, quarantine } = status;
  const address = household.address ?? household.id;
  const open = alerts.some((a) => a.status === 'open');
  return el(
    'li',
    {
      class: `household${open ? ' is-alarm' : alerts.length > 0 ? ' is-acked' : ''}`,
      dataset: { householdId: household.id },
    },
    el('h3', { class: 'household-address', text: address }),
    alerts.map((a) => alertBlock(a, handlers, now)),
    seals.length === 0
      ? el('p', { class: 'muted', text: t('worker.noSeal') })
      : seals.map((seal) => sealChips(seal, status.announcement !== null)),
    announcementLine(status.announcement, now),
    el('p', { class: 'quarantine', text: quarantineLine(quarantine, now) }),
    callButton(household.contact),
    el('button', {
      type: 'button',
      class: 'btn btn-secondary btn-wide',
      dataset: { action: 'details', focusKey: `details-${household.id}` },
      'aria-label': t('worker.detailsOf', { address }),
      text: t('worker.details'),
      onclick: () => handlers.onDetails(status),
    }),
  );
}

/** The list of "my households", in the order the server gives (open alerts first). */
export function renderHouseholds(list, statuses, handlers, now = Date.now()) {
  replaceChildrenKeepingFocus(
    list,
    statuses.map((s) => householdCard(s, handlers, now)),
  );
}
