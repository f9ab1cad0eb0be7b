import { el, replaceChildrenKeepingFocus } from './dom.js';
import { t } from './i18n.js';
import { formatTime, toMs } from './time.js';

const LOW_BATTERY_PCT = 20;

/** Open doors and trouble first: what needs a look is at the top. */
function rank(seal) {
  if (seal.armed && seal.door === 'open') return 0;
  if (seal.tamper) return 1;
  if (!seal.online) return 2;
  if (seal.battery !== null && seal.battery < LOW_BATTERY_PCT) return 3;
  return 4;
}

const collator = new Intl.Collator(['zh-CN', 'en'], { numeric: true });

export function sortSeals(seals) {
  return [...seals].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      collator.compare(a.address ?? '', b.address ?? '') ||
      (a.sensorId < b.sensorId ? -1 : 1),
  );
}

/** The drill-down: one row per seal under the selected node. */
export function renderSealRows(tbody, seals, { onHistory, changed = new Set(), now = Date.now() }) {
  const rows = sortSeals(seals).map((seal) => sealRow(seal, onHistory, changed.has(seal.sensorId), now));
  replaceChildrenKeepingFocus(tbody, rows);
}

function sealRow(seal, onHistory, changed, now) {
  const address = seal.address ?? seal.householdId ?? seal.sensorId;
  const breach = seal.armed && seal.door === 'open';
  const low = seal.battery !== null && seal.battery !== undefined && seal.battery < LOW_BATTERY_PCT;
  const lastSeen = toMs(seal.lastSeen);

  const tags = [
    seal.armed ? null : el('span', { class: 'tag tag-muted', text: t('seal.disarmed') }),
    seal.commissioning ? el('span', { class: 'tag tag-maint', text: t('seal.commissioning') }) : null,
    seal.tamper ? el('span', { class: 'tag tag-crit', text: t('seal.tamper') }) : null,
  ];

  return el(
    'tr',
    {
      class: `seal-row${breach ? ' is-breach' : ''}${changed ? ' is-changed' : ''}`,
      dataset: { sensorId: seal.sensorId },
    },
    el(
      'th',
      { scope: 'row', class: 'cell-address', 'data-label': t('seals.address') },
      el(
        'button',
        {
          type: 'button',
          class: 'link-btn',
          dataset: { focusKey: `seal:${seal.sensorId}` },
          onclick: () => onHistory(seal),
        },
        el('span', { class: 'seal-address', text: address }),
        el('span', { class: 'seal-id', text: seal.sensorId }),
        // What the button does, for screen readers, after the text it shows (an aria-label that
        // replaced the visible text broke voice control: WCAG 2.5.3 label in name).
        el('span', { class: 'visually-hidden', text: t('seals.historyHint') }),
      ),
      tags,
    ),
    el(
      'td',
      { class: 'cell-door', 'data-label': t('seals.door') },
      el('span', {
        class: `door door-${seal.door}${breach ? ' is-crit' : ''}`,
        dataset: { door: seal.door },
        text: t(`door.${seal.door}`) ?? seal.door,
      }),
    ),
    el(
      'td',
      { class: 'cell-online', 'data-label': t('seals.online') },
      el('span', {
        class: `online ${seal.online ? 'is-ok' : 'is-warn'}`,
        text: t(seal.online ? 'online.yes' : 'online.no'),
      }),
    ),
    el(
      'td',
      { class: 'cell-battery', 'data-label': t('seals.battery') },
      el('span', {
        class: `battery${low ? ' is-maint' : ''}`,
        text: seal.battery === null || seal.battery === undefined ? '–' : `${seal.battery}%`,
      }),
    ),
    el(
      'td',
      { class: 'cell-seen', 'data-label': t('seals.lastSeen') },
      lastSeen === null
        ? el('span', { class: 'muted', text: t('seals.never') })
        : [
            el('time', { datetime: new Date(lastSeen).toISOString(), text: formatTime(lastSeen, now) }),
            el('span', { class: 'seen-age muted', dataset: { since: String(lastSeen), age: 'ago' } }),
          ],
    ),
  );
}

/** Door history of one seal, newest first, in the history dialog. */
export function renderHistoryRows(tbody, items) {
  tbody.replaceChildren(
    ...items.map((item) =>
      el(
        'tr',
        { class: `history-row event-${item.type}` },
        el('td', {}, el('time', { datetime: item.ts ?? '', text: formatTime(item.ts) })),
        el('td', {}, el('span', { class: `event event-${item.type}`, text: t(`event.${item.type}`) })),
      ),
    ),
  );
}
