import type { ChannelPlan, ChannelStep, PlanSeverity } from '../core/channelPlan.ts';
import type { Channel } from './notificationPlan.ts';

/** What an alert's channel plan asks for: channels at its opening, and the steps that come later. */
export interface AlertChannels {
  /** Every channel of the steps at +0 (the leaders an escalation reaches get these too). */
  readonly now: ReadonlySet<Channel>;
  /** Steps after the opening: each an outbox row due then, per recipient and channel. */
  readonly later: readonly ChannelStep[];
}

const cache = new WeakMap<readonly ChannelStep[], AlertChannels>();

/**
 * The steps of one severity in a node's plan (core/channelPlan.ts), split into now and later.
 * `plan` is the node's plan in force, every severity filled in (NodePolicies); the split is made
 * once per steps object, as the plan is the same object until a policy changes.
 */
export function alertChannels(
  plan: Readonly<Record<PlanSeverity, readonly ChannelStep[]>>,
  severity: string,
): AlertChannels {
  const steps = plan[severity as PlanSeverity] ?? plan.critical;
  let split = cache.get(steps);
  if (!split) {
    const now = new Set<Channel>();
    for (const s of steps) if (s.afterMs <= 0) for (const c of s.channels) now.add(c);
    split = { now, later: steps.filter((s) => s.afterMs > 0) };
    cache.set(steps, split);
  }
  return split;
}

/** A node's plan over the root's: each severity the node lists replaces the root's steps for it. */
export function planInForce(
  root: Readonly<Record<PlanSeverity, readonly ChannelStep[]>>,
  node: ChannelPlan | undefined,
): Readonly<Record<PlanSeverity, readonly ChannelStep[]>> {
  return node ? Object.freeze({ ...root, ...node }) : root;
}
