import { el } from '../dom.js';
import { t } from '../i18n.js';
import { toMs } from '../time.js';
import { formatDuration } from './duration.js';

/**
 * The wall's three parts, built from GET /api/wall. Every state is said in words as well as colour
 * (a red tile also reads "Act now"), and numbers carry their label inside the same element.
 */

const $ = (id) => document.getElementById(id);

/** The alert that has waited longest, big; the next few below it, small. */
export function renderWaiting(wall) {
  const [first, ...rest] = wall.waiting;
  const box = $('oldest');
  box.dataset.state = first ? first.severity : 'clear';
  $('oldest-count').textContent =
    wall.unacknowledged > 0 ? t('wall.waitingCount', { n: wall.unacknowledged }) : '';
  if (!first) {
    $('oldest-body').replaceChildren(
      el(
        'p',
        { class: 'oldest-clear' },
        el('span', { class: 'oldest-clear-mark', 'aria-hidden': 'true', text: '✓' }),
        el('span', { text: t('wall.noneWaiting') }),
      ),
      el('p', { class: 'oldest-clear-sub', text: t('wall.noneWaitingSub') }),
    );
    $('waiting-list').replaceChildren();
    $('waiting-more').hidden = true;
    return;
  }
  const since = toMs(first.openedAt);
  $('oldest-body').replaceChildren(
    el(
      'p',
      { class: 'oldest-wait' },
      el('span', { class: 'oldest-wait-label', text: t('wall.waited') }),
      el('span', {
        class: 'oldest-wait-value',
        dataset: { waitingSince: String(since) },
        text: formatDuration(Date.now() - since),
      }),
    ),
    el(
      'p',
      { class: 'oldest-what' },
      el('span', { class: 'oldest-type', text: `⚠ ${t(`alertType.${first.type}`)}` }),
      el('span', { class: 'oldest-severity', text: t(`severity.${first.severity}`) }),
      first.count > 1 && first.type === 'breach'
        ? el('span', { class: 'oldest-opens', text: t('wall.opens', { n: first.count }) })
        : null,
    ),
    el('p', { class: 'oldest-where', text: first.address ?? first.gridPath.at(-1) ?? first.gridId }),
    el('p', { class: 'oldest-path', text: first.gridPath.join(' › ') }),
    el(
      'p',
      { class: 'oldest-who' },
      el('span', {
        class: first.assignee ? 'oldest-assignee' : 'oldest-assignee is-nobody',
        text: first.assignee
          ? t('wall.assignee', { name: first.assigneeName ?? first.assignee })
          : t('wall.unassigned'),
      }),
      el('span', {
        class: 'oldest-escalation',
        text:
          first.escalationLevel > 0
            ? t('wall.escalated', { n: first.escalationLevel })
            : t('wall.notEscalated'),
      }),
    ),
  );
  $('waiting-more').hidden = rest.length === 0;
  $('waiting-list').replaceChildren(
    ...rest.map((a) =>
      el(
        'li',
        { class: `waiting-row sev-${a.severity}` },
        el(
          'p',
          { class: 'waiting-head' },
          el('span', {
            class: 'waiting-age',
            dataset: { waitingSince: String(toMs(a.openedAt)) },
            text: formatDuration(Date.now() - toMs(a.openedAt)),
          }),
          el('span', { class: 'waiting-type', text: t(`alertType.${a.type}`) }),
        ),
        el('p', { class: 'waiting-where', text: a.address ?? a.gridPath.at(-1) ?? a.gridId }),
      ),
    ),
  );
}

/** Median and worst time to acknowledge since local midnight. */
export function renderTimeToAck(wall) {
  const { count, medianMs, maxMs } = wall.timeToAck;
  const figure = (key, value, extra = '') =>
    el(
      'div',
      { class: `tta-item tta-${key}${extra}` },
      el('dt', { text: t(`wall.tta${key[0].toUpperCase()}${key.slice(1)}`) }),
      el('dd', { text: value }),
    );
  $('tta').replaceChildren(
    ...(count === 0
      ? [
          el(
            'div',
            { class: 'tta-item tta-none' },
            el('dt', { text: t('wall.ttaCount') }),
            el('dd', { text: t('wall.ttaNone') }),
          ),
        ]
      : [
          figure('median', formatDuration(medianMs)),
          figure('max', formatDuration(maxMs)),
          figure('count', t('wall.ttaCountValue', { n: count })),
        ]),
  );
  $('tta-note').textContent = t('wall.ttaSince', { day: wall.day, tz: wall.timeZone });
}

/** One tile per township, in a stable order; `columns` fits them all on one screen. */
export function renderTiles(wall) {
  const list = $('tiles');
  const n = wall.tiles.length;
  $('tiles-empty').hidden = n > 0;
  // Wide screens: as square a grid as the area allows (20 tiles → 5 × 4, 30 → 7 × 5); CSS stacks them on phones.
  const columns = Math.max(1, Math.min(n, Math.ceil(Math.sqrt(n * 1.25))));
  list.style.setProperty('--columns', String(columns));
  list.style.setProperty('--rows', String(Math.max(1, Math.ceil(n / columns))));
  list.replaceChildren(...wall.tiles.map(tile));
}

function tile(x) {
  // Waiting for a person first; then someone is on it (acknowledged, a breach not yet resolved, a
  // door still open); then silent seals; then all clear.
  const state =
    x.unacknowledged > 0
      ? 'alarm'
      : x.acknowledged > 0 || x.breaches > 0 || x.doorsOpen > 0
        ? 'inHand'
        : x.offline > 0
          ? 'offline'
          : 'ok';
  const stateText = {
    alarm: `⚠ ${t('wall.tile.alarm')}`,
    inHand: `● ${t('wall.tile.inHandState')}`,
    offline: `◐ ${t('wall.tile.offlineState')}`,
    ok: `✓ ${t('wall.tile.ok')}`,
  }[state];
  const figure = (key, value, hot) =>
    el(
      'div',
      { class: `tile-fig fig-${key}${value > 0 && hot ? ' is-hot' : ''}` },
      el('dt', { text: t(`wall.tile.${key}`) }),
      el('dd', { text: String(value) }),
    );
  const notes = [
    x.acknowledged > 0 ? t('wall.tile.inHand', { n: x.acknowledged }) : null,
    x.doorsOpen === 1
      ? t('wall.tile.doorOpen')
      : x.doorsOpen > 1
        ? t('wall.tile.doorsOpen', { n: x.doorsOpen })
        : null,
  ].filter(Boolean);
  return el(
    'li',
    { class: `tile is-${state}`, dataset: { gridId: x.id } },
    el(
      'div',
      { class: 'tile-head' },
      el('h3', { class: 'tile-name', text: x.name }),
      el('p', { class: 'tile-state', text: stateText }),
    ),
    el(
      'dl',
      { class: 'tile-figs' },
      figure('unacknowledged', x.unacknowledged, true),
      figure('breaches', x.breaches, true),
      figure('offline', x.offline, true),
      figure('armed', x.armed, false),
    ),
    el('p', { class: 'tile-note', text: notes.join(' · ') }),
  );
}
