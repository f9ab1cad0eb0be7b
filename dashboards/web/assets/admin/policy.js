import { el } from '../dom.js';
import { t } from '../i18n.js';
import { describeFields, shown } from './fieldInput.js';
import { buildForm } from './form.js';
import { pickerForm } from './picker.js';
import { createNotice } from './problem.js';
import { buildTable, cell } from './table.js';

/** The fields a node may set (registry/policy/policyFields.ts); the channel plan is shown, set by API or CSV. */
const POLICY_FIELDS = describeFields('policy', {
  breachGrace: 'text',
  opensPerDay: 'number',
  announceSpan: 'text',
  doorOpenLimit: 'text',
  escalateAfter: 'list',
  lowBatteryPercent: 'number',
  outageMinSilent: 'number',
  outageFraction: 'number',
});

const SHOWN = [...POLICY_FIELDS.map((f) => f.name), 'channelPlan'];

/**
 * A grid node's policy (GET/PUT /api/grid/:id/policy): what is in force and which node sets each
 * field, and a form for the fields this node sets itself (emptied: inherited again, sent as null).
 */
export function policyScreen({ api, refs, root, expired }) {
  const notice = createNotice();
  const view = el('div', { class: 'policy-view' });
  const failed = (err) => (err?.status === 401 ? expired() : notice.problem(err));

  async function show(gridId) {
    let policy;
    try {
      policy = await api.call('GET', `/api/grid/${encodeURIComponent(gridId)}/policy`);
    } catch (err) {
      failed(err);
      view.replaceChildren();
      return;
    }
    notice.clear();
    const rows = SHOWN.map((name) => ({
      id: t(`policy.${name}`),
      effective: cell({}, policy.effective[name]),
      source: policy.source[name] === 'default' ? t('policy.default') : policy.source[name],
    }));
    const table = buildTable({
      caption: gridId,
      columns: [
        { name: 'id', label: 'policy.field' },
        { name: 'effective', label: 'policy.effective' },
        { name: 'source', label: 'policy.source', ref: 'grid' },
      ],
      rows,
      refs,
    });
    const form = buildForm({
      title: `${t('policy.own')} · ${gridId}`,
      hint: t('policy.hint'),
      // An empty field says what it inherits, so the form alone shows what is in force.
      fields: POLICY_FIELDS.map((f) => ({
        ...f,
        placeholder: t('policy.inherits', {
          value: shown(f, policy.effective[f.name]),
          source: policy.source[f.name] === 'default' ? t('policy.default') : policy.source[f.name],
        }),
      })),
      values: policy.set,
      refs,
      submitLabel: t('crud.save'),
      onSubmit: async (body) => {
        await api.call('PUT', `/api/grid/${encodeURIComponent(gridId)}/policy`, body);
        await show(gridId);
        notice.say(t('policy.saved', { id: gridId }));
      },
    });
    view.replaceChildren(el('div', { class: 'policy-grid' }, table, form.element));
  }

  const picker = pickerForm({
    field: { name: 'gridId', label: 'policy.pick', type: 'ref', ref: 'grid', required: true },
    id: 'policy-grid',
    button: 'policy.show',
    refs,
    onPick: (gridId) => void show(gridId),
    pickFirst: true,
  });
  root.replaceChildren(el('div', { class: 'toolbar' }, picker), notice.element, view);
}
