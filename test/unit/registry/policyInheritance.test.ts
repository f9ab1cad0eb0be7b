/**
 * Policy per grid node (issue 16.4): what is in force at a node is, field by field, the nearest
 * node's on the way to the root, else the root's default (the environment). Plain values: the
 * index over a real GridTree, no store.
 */
import { describe, expect, it } from 'vitest';
import { GridTree } from '../../../registry/gridTree.ts';
import {
  BUILT_IN_POLICY,
  type GridPolicy,
  type PolicyValues,
} from '../../../registry/policy/policyFields.ts';
import { PolicyIndex } from '../../../registry/policy/policyIndex.ts';
import type { GridNode } from '../../../registry/schemas.ts';

const node = (id: string, parentId: string | null): GridNode => ({
  id,
  name: id,
  parentId,
  level: 'x',
  createdAt: 0,
});
const ENV: PolicyValues = { ...BUILT_IN_POLICY, escalateAfter: [3_600_000], breachGrace: 0 };

/** county › township › village-a, village-b; township2 beside township. */
function world() {
  const tree = new GridTree();
  for (const n of [
    node('county', null),
    node('township', 'county'),
    node('village-a', 'township'),
    node('village-b', 'township'),
    node('township2', 'county'),
  ])
    tree.add(n);
  const index = new PolicyIndex(tree, ENV);
  const set = (gridId: string, fields: GridPolicy['fields']) =>
    index.put({ gridId, fields, updatedAt: 1, updatedBy: 'admin' });
  return { tree, index, set };
}

describe('policy inheritance', () => {
  it('with nothing set, every node has the root defaults, each from "default"', () => {
    const { index } = world();
    const { effective, source } = index.effective('village-a');
    expect(effective).toEqual(ENV);
    expect(Object.values(source).every((s) => s === 'default')).toBe(true);
    expect(index.overridesAt('village-a')).toEqual({});
  });

  it('a township override reaches its villages, not its sibling; each field says where it comes from', () => {
    const { index, set } = world();
    set('township', { opensPerDay: 8, escalateAfter: [120_000, 600_000] });
    set('village-a', { escalateAfter: [2_000] });
    const a = index.effective('village-a');
    expect(a.effective).toMatchObject({ opensPerDay: 8, escalateAfter: [2_000], lowBatteryPercent: 20 });
    expect(a.source).toMatchObject({
      opensPerDay: 'township',
      escalateAfter: 'village-a',
      lowBatteryPercent: 'default',
    });
    const b = index.effective('village-b');
    expect(b.effective).toMatchObject({ opensPerDay: 8, escalateAfter: [120_000, 600_000] });
    expect(b.source).toMatchObject({ opensPerDay: 'township', escalateAfter: 'township' });
    expect(index.effective('township2').effective).toEqual(ENV);
    expect(index.effective('county').source.opensPerDay).toBe('default');
  });

  it('removing a field (the command drops it) makes the node inherit it again', () => {
    const { index, set } = world();
    set('township', { opensPerDay: 8 });
    set('village-a', { opensPerDay: 2, outageFraction: 0.8 });
    expect(index.effective('village-a').source.opensPerDay).toBe('village-a');
    set('village-a', { outageFraction: 0.8 }); // opensPerDay: null
    expect(index.effective('village-a').effective.opensPerDay).toBe(8);
    expect(index.effective('village-a').source.opensPerDay).toBe('township');
    index.remove('village-a');
    expect(index.effective('village-a').source.outageFraction).toBe('default');
  });

  it('the same overrides object is answered until a policy or the tree changes; a move inherits from the new parent', () => {
    const { tree, index, set } = world();
    set('township', { breachGrace: 30_000 });
    const first = index.overridesAt('village-a');
    expect(index.overridesAt('village-a')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    tree.reparent('village-a', 'township2');
    const moved = index.overridesAt('village-a');
    expect(moved).not.toBe(first);
    expect(moved).toEqual({});
    set('township2', { breachGrace: 5_000 });
    expect(index.overridesAt('village-a')).toEqual({ breachGrace: 5_000 });
  });

  it('an unknown node inherits nothing but the defaults', () => {
    const { index, set } = world();
    set('county', { opensPerDay: 3 });
    expect(index.effective('nowhere').effective).toEqual(ENV);
  });
});
