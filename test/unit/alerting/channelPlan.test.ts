/** Issue 17.3: the channel plan as data: its checks, its written form, and what an alert gets from it. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { alertChannels, planInForce } from '../../../alerting/channelPlan.ts';
import { NodePolicies } from '../../../alerting/engine/nodePolicies.ts';
import { BUILT_IN_CHANNEL_PLAN, channelPlanSchema, writtenChannelPlan } from '../../../core/channelPlan.ts';
import { ConfigError, loadConfig } from '../../../core/config.ts';
import { gridPolicyBody } from '../../../registry/policy/policyFields.ts';

const WRITTEN = {
  critical: [
    { after: '0s', channels: ['webhook', 'sms'] },
    { after: '2m', channels: ['voice'], ifUnacknowledged: true },
  ],
  warning: [{ after: '0s', channels: ['webhook'] }],
};

const issueOf = (v: unknown): string => {
  const r = channelPlanSchema.safeParse(v);
  if (r.success) throw new Error(`accepted ${JSON.stringify(v)}`);
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('channel plan: checks and written form', () => {
  it('reads steps into ms, as an object or as JSON text, and writes them back as people wrote them', () => {
    const plan = channelPlanSchema.parse(WRITTEN);
    expect(plan.critical).toEqual([
      { afterMs: 0, channels: ['webhook', 'sms'], ifUnacknowledged: false },
      { afterMs: 120_000, channels: ['voice'], ifUnacknowledged: true },
    ]);
    expect(plan.maintenance).toBeUndefined();
    expect(channelPlanSchema.parse(JSON.stringify(WRITTEN))).toEqual(plan);
    expect(writtenChannelPlan(plan)).toEqual(WRITTEN);
  });

  it.each([
    [{ critical: [{ after: '0s', channels: ['pager'] }] }, 'a channel is one of webhook, sms, email, voice'],
    [{ critical: [{ after: 'soon', channels: ['sms'] }] }, "after 'soon' is not a duration"],
    [{ critical: [{ after: '25h', channels: ['sms'] }] }, 'from 0s to 24h'],
    [{ critical: [{ after: '0s', channels: [] }] }, 'a step names at least one channel'],
    [{ critical: [{ after: '0s', channels: ['sms', 'sms'] }] }, 'a step names each channel once'],
    [
      {
        critical: [
          { after: '2m', channels: ['sms'] },
          { after: '1m', channels: ['voice'] },
        ],
      },
      'critical.1.after: steps must come in increasing after',
    ],
    [{ critical: [] }, 'a severity lists at least one step'],
    [
      { info: [{ after: '0s', channels: ['sms'] }] },
      'names severities critical, warning, maintenance, not info',
    ],
    [{}, 'a channel plan names at least one severity'],
    ['{not json', 'a channel plan is a JSON object'],
    [{ critical: [{ after: '0s', channels: ['sms'], when: 'always' }] }, 'when'],
  ])('refuses %j: %s', (plan, message) => {
    expect(issueOf(plan)).toContain(message);
  });

  it('is a field of the policy per grid node (null removes it), checked by the same schema', () => {
    expect(gridPolicyBody.parse({ channelPlan: WRITTEN }).channelPlan?.critical?.[1]?.afterMs).toBe(120_000);
    expect(gridPolicyBody.parse({ channelPlan: null }).channelPlan).toBeNull();
    expect(gridPolicyBody.safeParse({ channelPlan: { critical: [] } }).success).toBe(false);
  });

  it('CHANNEL_PLAN: read at start; a bad one stops the start with the field and the reason', () => {
    expect(
      loadConfig({ CHANNEL_PLAN: JSON.stringify(WRITTEN) }).CHANNEL_PLAN?.warning?.[0]?.channels,
    ).toEqual(['webhook']);
    let err: unknown;
    try {
      loadConfig({ CHANNEL_PLAN: '{"critical":[{"after":"0s","channels":["fax"]}]}' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('CHANNEL_PLAN');
    expect((err as Error).message).toContain('critical.0.channels.0: a channel is one of');
  });
});

describe('channel plan: what an alert gets', () => {
  it('built in: every severity on robot, SMS and e-mail at once; critical adds a voice call at +2 min, unacknowledged', () => {
    const critical = alertChannels(BUILT_IN_CHANNEL_PLAN, 'critical');
    expect([...critical.now].sort()).toEqual(['email', 'sms', 'webhook']);
    expect(critical.later).toEqual([{ afterMs: 120_000, channels: ['voice'], ifUnacknowledged: true }]);
    for (const severity of ['warning', 'maintenance']) {
      const c = alertChannels(BUILT_IN_CHANNEL_PLAN, severity);
      expect([...c.now].sort()).toEqual(['email', 'sms', 'webhook']);
      expect(c.later).toEqual([]);
    }
  });

  it('every step at +0 counts as now, whatever its ifUnacknowledged; the split is made once per plan', () => {
    const plan = planInForce(BUILT_IN_CHANNEL_PLAN, {
      warning: [
        { afterMs: 0, channels: ['webhook'], ifUnacknowledged: false },
        { afterMs: 0, channels: ['sms'], ifUnacknowledged: true },
        { afterMs: 60_000, channels: ['email'], ifUnacknowledged: false },
      ],
    });
    const w = alertChannels(plan, 'warning');
    expect([...w.now]).toEqual(['webhook', 'sms']);
    expect(w.later).toEqual([{ afterMs: 60_000, channels: ['email'], ifUnacknowledged: false }]);
    expect(alertChannels(plan, 'warning')).toBe(w);
  });

  it('a node’s plan replaces the severities it lists; the others stay the root’s (CHANNEL_PLAN over the built-in)', () => {
    const root = planInForce(
      BUILT_IN_CHANNEL_PLAN,
      channelPlanSchema.parse({ warning: [{ after: '0s', channels: ['webhook'] }] }),
    );
    const village = Object.freeze({
      channelPlan: channelPlanSchema.parse({ critical: [{ after: '0s', channels: ['webhook', 'voice'] }] }),
    });
    const policies = new NodePolicies({
      registry: { policyOverrides: (id: string) => (id === 'village' ? village : Object.freeze({})) },
      policy: DEFAULT_POLICY,
      escalateAfter: [],
      channelPlan: root,
    });
    const atVillage = policies.at('village').channelPlan;
    expect([...alertChannels(atVillage, 'critical').now]).toEqual(['webhook', 'voice']);
    expect(alertChannels(atVillage, 'critical').later).toEqual([]);
    expect([...alertChannels(atVillage, 'warning').now]).toEqual(['webhook']);
    expect(policies.at('elsewhere').channelPlan.critical).toBe(BUILT_IN_CHANNEL_PLAN.critical);
    expect([...alertChannels(policies.at('elsewhere').channelPlan, 'maintenance').now].sort()).toEqual([
      'email',
      'sms',
      'webhook',
    ]);
  });
});
