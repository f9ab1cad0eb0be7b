import { describe, expect, it } from 'vitest';
import { TELEMETRY_SCHEMA } from '../../../ingest/telemetry/telemetrySchema.ts';
import {
  LevelTagCache,
  levelTagKey,
  levelTagsOf,
  TAGS_NOT_FOR_LEVELS,
} from '../../../registry/gridLevelTags.ts';
import { GridTree } from '../../../registry/gridTree.ts';
import type { GridNode } from '../../../registry/schemas.ts';

/** The seeds' county, as examples/quwo-county/grid.csv has it. */
function quwo(): GridTree<GridNode> {
  const tree = new GridTree<GridNode>();
  const rows: [string, string | null, string][] = [
    ['quwo', null, 'county'],
    ['shicun', 'quwo', 'township'],
    ['lecheng', 'quwo', 'township'],
    ['dongcun', 'shicun', 'village'],
    ['xicun', 'shicun', 'village'],
    ['nanguan', 'lecheng', 'community'],
    ['dongcun-3', 'dongcun', 'group'],
  ];
  for (const [id, parentId, level] of rows) tree.add({ id, name: id, parentId, level, createdAt: 0 });
  return tree;
}

describe('roll-up tags by grid level', () => {
  it('a node carries the id of its ancestor at every level, itself included', () => {
    const tree = quwo();
    expect(levelTagsOf(tree, 'dongcun-3')).toEqual({
      county: 'quwo',
      township: 'shicun',
      village: 'dongcun',
      group: 'dongcun-3',
    });
    // Two villages of one township share its tag: that is what a GROUP BY "township" sums.
    expect(levelTagsOf(tree, 'xicun').township).toBe(levelTagsOf(tree, 'dongcun').township);
    expect(levelTagsOf(tree, 'nanguan')).toEqual({
      county: 'quwo',
      township: 'lecheng',
      community: 'nanguan',
    });
    expect(levelTagsOf(tree, 'nowhere')).toEqual({});
  });

  it('a level that cannot be a tag key gets none; the same level twice on a path: the nearer wins', () => {
    const tree = new GridTree<GridNode>();
    tree.add({ id: 'a', name: 'a', parentId: null, level: '县', createdAt: 0 });
    tree.add({ id: 'b', name: 'b', parentId: 'a', level: 'grid', createdAt: 0 });
    tree.add({ id: 'c', name: 'c', parentId: 'b', level: 'zone', createdAt: 0 });
    tree.add({ id: 'd', name: 'd', parentId: 'c', level: 'zone', createdAt: 0 });
    expect(levelTagsOf(tree, 'd')).toEqual({ zone: 'd' });
    expect(levelTagKey('village')).toBe('village');
    for (const bad of ['县', 'grid', 'sensor', 'time', '1st', 'a b', 'x'.repeat(33), undefined])
      expect(levelTagKey(bad)).toBeNull();
  });

  it('no level can take the name of a tag the telemetry writer already writes', () => {
    for (const m of Object.values(TELEMETRY_SCHEMA))
      for (const tag of m.tags) expect(TAGS_NOT_FOR_LEVELS.has(tag), tag).toBe(true);
  });

  it('the cache follows the tree: a move and a renamed level are seen at once', () => {
    const tree = quwo();
    const cache = new LevelTagCache(tree);
    expect(cache.of('dongcun').township).toBe('shicun');
    expect(cache.of('dongcun')).toBe(cache.of('dongcun'));
    tree.reparent('dongcun', 'lecheng');
    expect(cache.of('dongcun').township).toBe('lecheng');
    // A level renamed in place (gridCommands.update): the tree is touched.
    tree.get('lecheng')!.level = 'town';
    tree.touched();
    expect(cache.of('dongcun')).toEqual({ county: 'quwo', town: 'lecheng', village: 'dongcun' });
  });
});
