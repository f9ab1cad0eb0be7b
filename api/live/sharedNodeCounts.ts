import type { ApiDeps } from '../deps.ts';
import { countByNode } from './nodeCounts.ts';
import { OverviewCounts } from './overviewCounts.ts';

const MAX_AGE_MS = 5_000;
const MIN_GAP_MS = 250;
const shared = new WeakMap<ApiDeps, OverviewCounts>();

/**
 * The one per-node counts cache of an API instance: GET /api/overview (every live page) and
 * GET /api/wall (every wall screen) read the same computation, so a wall adds no pass over the
 * sensors of its own.
 */
export function sharedNodeCounts(deps: ApiDeps): OverviewCounts {
  let counts = shared.get(deps);
  if (!counts) {
    const { registry, clock } = deps;
    counts = new OverviewCounts({
      compute: () => countByNode(registry, deps.seals, clock.now(), deps.openAlerts()),
      version: () => `${deps.events.stats().lastEventId}:${registry.revision}`,
      now: () => clock.now(),
      maxAgeMs: MAX_AGE_MS,
      minGapMs: MIN_GAP_MS,
    });
    shared.set(deps, counts);
  }
  return counts;
}
