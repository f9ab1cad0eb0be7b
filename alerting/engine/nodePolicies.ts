import type { PolicyOverrides } from '../../registry/policy/policyFields.ts';
import type { Policy } from '../alertModel.ts';

/** What the rules read at one grid node: the rules' Policy and the escalation steps (ms from the opening). */
export interface NodePolicy extends Policy {
  readonly escalateAfter: readonly number[];
}

/** The outage thresholds at one node (the outage rule asks per node it looks at). */
export type OutageThresholds = Pick<Policy, 'outageMinSensors' | 'outageMinFraction'>;

/**
 * The policy in force at each grid node, in the rules' terms (issue 16.4): the engine's own
 * settings (the environment's values: the root's defaults) with the fields set on the node's way
 * to the root (registry/policy) laid over them.
 *
 * Asked once or twice per message, so it must cost no more than a lookup: the registry answers
 * the same frozen overrides object for a node until a policy or the tree changes, and the merged
 * policy is cached by that object's identity (a WeakMap: a replaced object and its merge go away
 * together). No database read, no allocation per message.
 */
export class NodePolicies {
  private readonly merged = new WeakMap<object, NodePolicy>();
  /** A node's policy with another battery threshold (a model's own), made once per pair. */
  private readonly withThreshold = new WeakMap<NodePolicy, Map<number, NodePolicy>>();

  constructor(
    private readonly o: {
      registry: {
        policyOverrides(gridId: string): Readonly<PolicyOverrides>;
        /** The sensor's model, when it names its own low-battery threshold (issue 16.1). */
        sensorModelOf?(sensorId: string): { lowBatteryPercent: number | null } | undefined;
      };
      /** The environment's values. */
      policy: Policy;
      escalateAfter: readonly number[];
    },
  ) {}

  /** The policy in force at a grid node. */
  at(gridId: string): NodePolicy {
    const overrides = this.o.registry.policyOverrides(gridId);
    let p = this.merged.get(overrides);
    if (!p) {
      p = this.merge(overrides);
      this.merged.set(overrides, p);
    }
    return p;
  }

  /** The policy a sensor's message is judged by: its node's, with the sensor's battery threshold. */
  forSensor(sensorId: string, gridId: string): NodePolicy {
    const p = this.at(gridId);
    const threshold = this.lowBatteryThreshold(sensorId, p);
    if (threshold === p.lowBatteryPct) return p;
    let variants = this.withThreshold.get(p);
    if (!variants) {
      variants = new Map();
      this.withThreshold.set(p, variants);
    }
    let variant = variants.get(threshold);
    if (!variant) {
      variant = Object.freeze({ ...p, lowBatteryPct: threshold });
      variants.set(threshold, variant);
    }
    return variant;
  }

  /**
   * The one place a sensor's low-battery threshold is decided: its model's own when the model names
   * one (a device's battery curve is the device's), else the node's policy.
   */
  lowBatteryThreshold(sensorId: string, nodePolicy: Pick<Policy, 'lowBatteryPct'>): number {
    return this.o.registry.sensorModelOf?.(sensorId)?.lowBatteryPercent ?? nodePolicy.lowBatteryPct;
  }

  /** The outage thresholds at a node (the node's own policy, inherited like every field). */
  outagePolicyOf(nodeId: string): OutageThresholds {
    return this.at(nodeId);
  }

  /** Escalation steps at a node, in ms from the alert's opening. */
  escalationStepsAt(gridId: string): readonly number[] {
    return this.at(gridId).escalateAfter;
  }

  private merge(v: Readonly<PolicyOverrides>): NodePolicy {
    const { policy, escalateAfter } = this.o;
    return Object.freeze({
      ...policy,
      escalateAfter: v.escalateAfter ?? escalateAfter,
      ...(v.breachGrace !== undefined ? { graceSeconds: v.breachGrace / 1000 } : {}),
      ...(v.opensPerDay !== undefined ? { maxOpensPerDay: v.opensPerDay } : {}),
      ...(v.announceSpan !== undefined ? { announceMinutes: v.announceSpan / 60_000 } : {}),
      ...(v.doorOpenLimit !== undefined ? { doorOpenLimitMs: v.doorOpenLimit } : {}),
      ...(v.lowBatteryPercent !== undefined ? { lowBatteryPct: v.lowBatteryPercent } : {}),
      ...(v.outageMinSilent !== undefined ? { outageMinSensors: v.outageMinSilent } : {}),
      ...(v.outageFraction !== undefined ? { outageMinFraction: v.outageFraction } : {}),
    });
  }
}
