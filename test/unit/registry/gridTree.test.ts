import { describe, expect, it } from 'vitest';
import { GridTree } from '../../../registry/gridTree.ts';
import type { GridNode } from '../../../registry/schemas.ts';

const node = (id: string, name: string, parentId: string | null, level: string): GridNode => ({
  id,
  name,
  parentId,
  level,
  createdAt: 0,
});

function countyTree(): GridTree {
  const t = new GridTree();
  t.add(node('county', '曲沃县', null, 'county'));
  t.add(node('town', '史村镇', 'county', 'township'));
  t.add(node('town2', '乐昌镇', 'county', 'township'));
  t.add(node('village', '东村', 'town', 'village'));
  t.add(node('group3', '三组', 'village', 'group'));
  t.add(node('group4', '四组', 'village', 'group'));
  return t;
}

describe('GridTree', () => {
  it('gets nodes and lists children in insertion order', () => {
    const t = countyTree();
    expect(t.get('village')?.name).toBe('东村');
    expect(t.get('nowhere')).toBeUndefined();
    expect(t.childrenOf('village').map((n) => n.id)).toEqual(['group3', 'group4']);
    expect(t.childrenOf('group3')).toEqual([]);
    expect(t.all()).toHaveLength(6);
  });

  it('walks from a node to the root, the node first', () => {
    expect(
      countyTree()
        .pathToRoot('group3')
        .map((n) => n.id),
    ).toEqual(['group3', 'village', 'town', 'county']);
    expect(countyTree().pathToRoot('nowhere')).toEqual([]);
  });

  it('names a place from the root down', () => {
    expect(countyTree().pathNames('group3')).toEqual(['曲沃县', '史村镇', '东村', '三组']);
  });

  it('isWithin: the node itself and its descendants, nothing beside or above', () => {
    const t = countyTree();
    expect(t.isWithin('group3', 'group3')).toBe(true);
    expect(t.isWithin('group3', 'town')).toBe(true);
    expect(t.isWithin('group3', 'county')).toBe(true);
    expect(t.isWithin('group3', 'town2')).toBe(false);
    expect(t.isWithin('town', 'village')).toBe(false);
    expect(t.isWithin('nowhere', 'county')).toBe(false);
    expect(t.isWithin('group3', null)).toBe(true);
  });

  it('levels are data: any depth works', () => {
    const t = new GridTree();
    t.add(node('n0', 'root', null, 'L0'));
    for (let i = 1; i < 50; i++) t.add(node(`n${i}`, `L${i}`, `n${i - 1}`, `L${i}`));
    expect(t.pathToRoot('n49')).toHaveLength(50);
    expect(t.isWithin('n49', 'n0')).toBe(true);
  });

  it('children added before their parent are found once the parent arrives', () => {
    const t = new GridTree();
    t.add(node('child', 'c', 'parent', 'group'));
    t.add(node('parent', 'p', null, 'village'));
    expect(t.childrenOf('parent').map((n) => n.id)).toEqual(['child']);
    expect(t.pathNames('child')).toEqual(['p', 'c']);
  });

  it('a cycle in bad data does not hang the walk', () => {
    const t = new GridTree();
    t.add(node('a', 'A', 'b', 'x'));
    t.add(node('b', 'B', 'a', 'x'));
    expect(t.pathToRoot('a').length).toBeLessThanOrEqual(1000);
    expect(t.isWithin('a', 'zzz')).toBe(false);
  });

  it('a stored self-parent or two-node cycle: subtree walks visit each node once and report the cycle once', () => {
    const t = new GridTree();
    const reported: string[][] = [];
    t.onCycle = (ids) => reported.push(ids);
    t.add(node('self1', 'S', 'self1', 'x'));
    t.add(node('a', 'A', 'b', 'x'));
    t.add(node('b', 'B', 'a', 'x'));
    expect([...t.subtree('self1')].map((n) => n.id)).toEqual(['self1']);
    expect(t.childrenOf('self1')).toEqual([]);
    expect([...t.subtree('a')].map((n) => n.id)).toEqual(['a', 'b']);
    expect(t.pathIds('self1')).toEqual(['self1']);
    expect(t.pathIds('a')).toEqual(['b', 'a']);
    for (let i = 0; i < 3; i++) t.pathToRoot('b');
    expect(t.auditCycles().map((c) => [...c].sort())).toEqual([['self1'], ['a', 'b']]);
    expect(reported.map((c) => [...c].sort())).toEqual([['a', 'b'], ['self1']]);
  });
});
