import { el } from './dom.js';
import { t } from './i18n.js';
import { formatTime } from './time.js';

/**
 * The line under the seal list's title: who is on duty now for the selected node (GET
 * /api/grid/:id/duty), by roster or as the responsible worker, with whoever stands in for someone
 * away. The same answer routing gives a household alert raised now (alerting/routing.ts).
 */
export function createDutyLine({ api, element, failed }) {
  let gridId = null;
  let answer = null;
  let ticket = 0;

  async function load() {
    const id = gridId;
    const mine = ++ticket;
    if (!id) return render();
    try {
      const duty = await api.duty(id);
      if (mine !== ticket) return;
      answer = duty;
    } catch (err) {
      if (mine !== ticket || failed(err)) return;
      // Not shown rather than wrong: the line is a hint, the alerts carry the assignee.
      answer = null;
    }
    render();
  }

  // Names are data (class duty-name, kept as typed in any language); the words around them are ours.
  const name = (text) => el('span', { class: 'duty-name', text });
  const person = (p) =>
    p.coversFor
      ? [
          name(p.name ?? p.id),
          t('duty.coversBefore'),
          name(p.coversForName ?? p.coversFor),
          t('duty.coversAfter'),
        ]
      : [name(p.name ?? p.id)];

  function render() {
    if (!gridId || !answer) {
      element.hidden = true;
      element.replaceChildren();
      return;
    }
    element.dataset.source = answer.source;
    const people = answer.people.flatMap((p, i) =>
      i === 0 ? person(p) : [t('duty.separator'), ...person(p)],
    );
    if (answer.source === 'roster') {
      element.replaceChildren(
        t('duty.roster'),
        ...people,
        t('duty.until', { until: formatTime(answer.until) }),
      );
    } else if (answer.source === 'responsible') {
      element.replaceChildren(t('duty.responsible'), ...people);
    } else {
      element.replaceChildren(t('duty.none'));
    }
    element.hidden = false;
  }

  return {
    /** A node was selected (or none): read its duty now. */
    show(id) {
      gridId = id;
      answer = null;
      render();
      return load();
    },
    refresh: () => load(),
    relabel: () => render(),
  };
}
