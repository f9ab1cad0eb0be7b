import type { GridTree, TreeNode } from './gridTree.ts';

/**
 * Telemetry tags for Grafana roll-ups by any level of the grid (issue 17.8): every point carries,
 * besides `grid` (its own node), one tag per level of the grid above and at that node, named by the
 * level and holding the id of the ancestor at that level:
 *
 *   grid=dongcun-3  county=quwo  township=shicun  village=dongcun  group=dongcun-3
 *
 * so a panel can `GROUP BY "township"` or filter `"village" = 'dongcun'` without a regex on a path.
 * Cardinality stays what it was: the tags are a function of the sensor's node, so they add no
 * series (the `sensor` tag already makes one series per sensor), and each tag's values are the
 * nodes at that level (bounded by the grid, like `grid`). The tag keys are the grid's level names,
 * a handful (the seeds' county has five). A single `path` tag would be as cheap, but InfluxQL
 * cannot group by part of a value.
 *
 * A level name becomes a tag key only if it is an identifier (letters, digits, `_`, starting with a
 * letter, at most 32) and not one of the tags the writer already uses: a level named "grid" or
 * "乡镇" gets no tag (the roll-up by it is not available; `grid` still is). Two ancestors with the
 * same level on one path: the one nearer the sensor wins.
 */
export const TAGS_NOT_FOR_LEVELS: ReadonlySet<string> = new Set([
  // Every tag of ingest/telemetry/telemetrySchema.ts (a unit test keeps the two in step), and `time`.
  'sensor',
  'household',
  'grid',
  'model',
  'type',
  'change',
  'time',
]);

const LEVEL_TAG = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** The tag key for a grid level, or null when the level cannot be one (see above). */
export function levelTagKey(level: string | undefined): string | null {
  if (level === undefined || !LEVEL_TAG.test(level) || TAGS_NOT_FOR_LEVELS.has(level)) return null;
  return level;
}

type LevelledNode = TreeNode & { level?: string };

/** Level tag → ancestor id, for the node `gridId` (itself included); {} for an unknown node. */
export function levelTagsOf(tree: GridTree<LevelledNode>, gridId: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const node of tree.pathToRoot(gridId)) {
    const key = levelTagKey(node.level);
    if (key !== null && !(key in tags)) tags[key] = node.id;
  }
  return tags;
}

/**
 * `levelTagsOf` remembered per node until the tree changes (it is asked once per message and per
 * alert change; the tree changes rarely). The same frozen object per node meanwhile.
 */
export class LevelTagCache {
  private version = -1;
  private readonly byNode = new Map<string, Readonly<Record<string, string>>>();

  constructor(private readonly tree: GridTree<LevelledNode>) {}

  of(gridId: string): Readonly<Record<string, string>> {
    if (this.version !== this.tree.version) {
      this.byNode.clear();
      this.version = this.tree.version;
    }
    let tags = this.byNode.get(gridId);
    if (!tags) {
      tags = Object.freeze(levelTagsOf(this.tree, gridId));
      this.byNode.set(gridId, tags);
    }
    return tags;
  }
}
