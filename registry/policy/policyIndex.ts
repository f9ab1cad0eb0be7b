import type { GridTree } from '../gridTree.ts';
import {
  BUILT_IN_POLICY,
  type GridPolicy,
  POLICY_FIELDS,
  type PolicyField,
  type PolicyOverrides,
  type PolicyValues,
} from './policyFields.ts';

/** Where each field of a node's policy comes from: the node that sets it, or `default` (the environment). */
export type PolicySource = Record<PolicyField, string>;

/** The fields set on a node's path (the node itself first), and which node set each. */
interface Resolved {
  readonly overrides: Readonly<PolicyOverrides>;
  readonly source: Readonly<Partial<Record<PolicyField, string>>>;
}

const NOTHING_SET: Resolved = Object.freeze({ overrides: Object.freeze({}), source: Object.freeze({}) });

/**
 * The policies set on grid nodes, and what is in force at any node: each field from the nearest
 * node on the way to the root that sets it, else the root's default (the environment).
 *
 * Alerting asks for every message (`overridesAt`), so answers are cached per node and the cache is
 * dropped whole when a policy or the tree's shape changes (a move changes what a subtree inherits):
 * per message one version check and one map lookup, and the same object until something changed,
 * so callers may cache what they derive from it by identity. Policy changes are rare; the next
 * reader rebuilds only the nodes it asks for, each by a walk of five or six levels.
 */
export class PolicyIndex {
  private readonly byNode = new Map<string, GridPolicy>();
  private readonly cache = new Map<string, Resolved>();
  private revision = 0;
  private cachedRevision = -1;
  private cachedTreeVersion = -1;

  constructor(
    private readonly tree: GridTree,
    private defaults: Readonly<PolicyValues> = BUILT_IN_POLICY,
  ) {}

  /** The root's defaults (from the environment): set once by the composition root. */
  setDefaults(defaults: Readonly<PolicyValues>): void {
    this.defaults = defaults;
    this.revision++;
  }

  get rootDefaults(): Readonly<PolicyValues> {
    return this.defaults;
  }

  /** What the node itself sets, if anything. */
  of(gridId: string): GridPolicy | undefined {
    return this.byNode.get(gridId);
  }

  all(): GridPolicy[] {
    return [...this.byNode.values()];
  }

  /**
   * The fields set on the node's path, nearest first; the same frozen object until a policy or the
   * tree changes. An unknown node inherits nothing.
   */
  /** The low-battery threshold in force at a node: one cached lookup, no allocation. */
  lowBatteryPercentAt(gridId: string): number {
    return this.overridesAt(gridId).lowBatteryPercent ?? this.defaults.lowBatteryPercent;
  }

  overridesAt(gridId: string): Readonly<PolicyOverrides> {
    return this.resolved(gridId).overrides;
  }

  /** The policy in force at a node, field by field, and where each field comes from. */
  effective(gridId: string): { effective: PolicyValues; source: PolicySource } {
    const r = this.resolved(gridId);
    const effective = { ...this.defaults, ...r.overrides } as PolicyValues;
    const source = Object.fromEntries(
      POLICY_FIELDS.map((f) => [f, r.source[f] ?? 'default']),
    ) as PolicySource;
    return { effective, source };
  }

  // ---- kept in step by the policy commands, after the store took their write

  put(p: GridPolicy): void {
    this.byNode.set(p.gridId, p);
    this.revision++;
  }

  remove(gridId: string): void {
    if (this.byNode.delete(gridId)) this.revision++;
  }

  clear(): void {
    this.byNode.clear();
    this.revision++;
  }

  private resolved(gridId: string): Resolved {
    if (this.cachedRevision !== this.revision || this.cachedTreeVersion !== this.tree.version) {
      this.cache.clear();
      this.cachedRevision = this.revision;
      this.cachedTreeVersion = this.tree.version;
    }
    let r = this.cache.get(gridId);
    if (!r) {
      r = this.walk(gridId);
      this.cache.set(gridId, r);
    }
    return r;
  }

  private walk(gridId: string): Resolved {
    if (this.byNode.size === 0) return NOTHING_SET;
    const overrides: Record<string, unknown> = {};
    const source: Partial<Record<PolicyField, string>> = {};
    for (const node of this.tree.pathToRoot(gridId)) {
      const fields = this.byNode.get(node.id)?.fields;
      if (!fields) continue;
      for (const f of POLICY_FIELDS) {
        if (source[f] === undefined && fields[f] !== undefined) {
          overrides[f] = fields[f];
          source[f] = node.id;
        }
      }
    }
    if (Object.keys(source).length === 0) return NOTHING_SET;
    return Object.freeze({
      overrides: Object.freeze(overrides as PolicyOverrides),
      source: Object.freeze(source),
    });
  }
}
