import { el, replaceChildrenKeepingFocus } from './dom.js';
import { t } from './i18n.js';

const COUNT_KEYS = [
  ['sealed', ''],
  ['open', 'is-crit'],
  ['offline', 'is-warn'],
  ['lowBattery', 'is-maint'],
];
const CRITICAL_ALERT_TYPES = ['breach', 'tamper', 'outage'];

/**
 * The grid tree with counts per node. Only expanded nodes are rendered, so a
 * county with thousands of groups stays light; keyboard focus survives updates.
 */
export function renderTree(container, grid, ui) {
  if (grid.roots.length === 0) {
    container.replaceChildren(el('li', { class: 'empty', text: t('tree.empty') }));
    return;
  }
  replaceChildrenKeepingFocus(
    container,
    grid.roots.map((node) => nodeItem(node, grid, ui, 0)),
  );
}

function nodeItem(node, grid, ui, depth) {
  const kids = grid.children(node.id);
  const open = ui.expanded.has(node.id);
  const counts = node.counts ?? {};
  const name = node.name ?? node.id;
  const criticalAlerts = CRITICAL_ALERT_TYPES.reduce((n, type) => n + (counts.alerts?.[type] ?? 0), 0);

  const twisty =
    kids.length > 0
      ? el(
          'button',
          {
            type: 'button',
            class: 'twisty',
            'aria-expanded': String(open),
            'aria-label': t(open ? 'tree.collapse' : 'tree.expand', { name }),
            dataset: { focusKey: `twisty:${node.id}` },
            onclick: () => ui.onToggle(node.id),
          },
          el('span', { class: 'twisty-icon', 'aria-hidden': 'true' }),
        )
      : el('span', { class: 'twisty-spacer', 'aria-hidden': 'true' });

  const label = el(
    'button',
    {
      type: 'button',
      class: 'node-name',
      'aria-current': ui.selectedId === node.id ? 'true' : false,
      dataset: { focusKey: `node:${node.id}` },
      onclick: () => ui.onSelect(node.id),
    },
    el('span', { class: 'node-text', text: name }),
    criticalAlerts > 0 ? el('span', { class: 'chip chip-crit', text: String(criticalAlerts) }) : null,
    el('span', {
      class: 'visually-hidden',
      text: t('tree.countsLabel', {
        sealed: counts.sealed ?? 0,
        open: counts.open ?? 0,
        offline: counts.offline ?? 0,
        lowBattery: counts.lowBattery ?? 0,
      }),
    }),
  );

  const numbers = COUNT_KEYS.map(([key, alarm]) => {
    const value = counts[key] ?? 0;
    return el('span', {
      class: `count count-${key} ${value === 0 ? 'is-zero' : alarm}`,
      'aria-hidden': 'true',
      text: String(value),
    });
  });

  const row = el(
    'div',
    {
      class: `tree-row depth-${Math.min(depth, 6)}${ui.selectedId === node.id ? ' is-selected' : ''}`,
      dataset: { nodeId: node.id },
    },
    twisty,
    label,
    numbers,
  );
  return el(
    'li',
    { class: 'tree-node' },
    row,
    open && kids.length > 0
      ? el(
          'ul',
          { class: 'tree-children' },
          kids.map((kid) => nodeItem(kid, grid, ui, depth + 1)),
        )
      : null,
  );
}
