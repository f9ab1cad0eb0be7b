import { el } from './dom.js';
import { t } from './i18n.js';

/**
 * The big numbers of the whole view, readable across a command room. A number
 * that needs attention takes its severity's colour; zero stays calm.
 */
export function renderKpis(list, totals, { alerts, critical }) {
  const tiles = [
    ['sealed', totals.sealed, ''],
    ['open', totals.open, 'crit'],
    ['offline', totals.offline, 'warn'],
    ['lowBattery', totals.lowBattery, 'maint'],
    ['alerts', alerts, critical ? 'crit' : 'warn'],
  ];
  list.replaceChildren(
    ...tiles.map(([key, value, alarm]) =>
      el(
        'div',
        { class: `kpi kpi-${key} ${value ? `is-${alarm || 'calm'}` : 'is-zero'}`, dataset: { kpi: key } },
        el('dt', { class: 'kpi-label', text: t(`kpi.${key}`) }),
        el('dd', { class: 'kpi-value', text: value === null || value === undefined ? '–' : String(value) }),
      ),
    ),
  );
}
