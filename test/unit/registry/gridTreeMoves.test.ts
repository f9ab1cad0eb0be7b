import { describe, expect, it } from 'vitest';
import { GridTree } from '../../../registry/gridTree.ts';

const node = (id: string, parentId: string | null) => ({ id, name: id, parentId });

describe('GridTree moves and removals', () => {
  const tree = () => {
    const t = new GridTree<ReturnType<typeof node>>();
    for (const [id, parent] of [
      ['county', null],
      ['a', 'county'],
      ['b', 'county'],
      ['a1', 'a'],
    ] as const)
      t.add(node(id, parent));
    return t;
  };

  it('a moved node takes its subtree along and leaves its old parent', () => {
    const t = tree();
    t.reparent('a1', 'b');
    expect(t.childrenOf('a').map((n) => n.id)).toEqual([]);
    expect(t.childrenOf('b').map((n) => n.id)).toEqual(['a1']);
    expect(t.pathIds('a1')).toEqual(['county', 'b', 'a1']);
    expect(t.isWithin('a1', 'a')).toBe(false);
  });

  it('a node moved to the root has no parent', () => {
    const t = tree();
    t.reparent('a', null);
    expect(t.pathIds('a1')).toEqual(['a', 'a1']);
    expect(t.childrenOf('county').map((n) => n.id)).toEqual(['b']);
  });

  it('a removed node is gone from its parent and from lookups', () => {
    const t = tree();
    t.remove('a1');
    expect(t.get('a1')).toBeUndefined();
    expect(t.childrenOf('a')).toEqual([]);
    expect(t.all().map((n) => n.id)).toEqual(['county', 'a', 'b']);
  });
});
