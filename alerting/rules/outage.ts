import type { Policy } from '../alertModel.ts';

export interface SilentMonitoredSensor {
  sensorId: string;
  /** Grid path of the sensor's household, root first, leaf last. */
  gridPath: readonly string[];
  lastSeen: number;
  /**
   * The sensor's own heartbeat interval (its model's); absent: the policy's. It would have spoken
   * again by `lastSeen + intervalMs`, so it fell silent somewhere in that span.
   */
  intervalMs?: number;
}

export interface OutageCandidate {
  nodeId: string;
  /** The node's path, root first, the node itself last. */
  path: readonly string[];
  /** Silent sensors that fell silent together (last seen within one interval). */
  sensorIds: string[];
  monitored: number;
}

type OutageThresholds = Pick<Policy, 'outageMinSensors' | 'outageMinFraction'>;
export type OutagePolicy = OutageThresholds &
  Pick<Policy, 'heartbeatIntervalMs'> & {
    /** The thresholds at one node (its grid policy, issue 16.4); without it, these for every node. */
    outagePolicyOf?: (nodeId: string) => OutageThresholds;
  };

const thresholdsAt = (policy: OutagePolicy, nodeId: string): OutageThresholds =>
  policy.outagePolicyOf?.(nodeId) ?? policy;

function qualifies(silentCount: number, monitored: number, t: OutageThresholds): boolean {
  return silentCount >= t.outageMinSensors && monitored > 0 && silentCount >= t.outageMinFraction * monitored;
}

/**
 * Outage: under one grid node, at least `outageMinSensors` (5) and at least `outageMinFraction`
 * (half) of its monitored sensors fell silent *within one heartbeat interval* of each other — the
 * largest group of silent sensors whose last-seen times fit in a span of `heartbeatIntervalMs`
 * (inclusive) is what counts. One outage per group of silent sensors: the highest qualifying node
 * finds the group, and the alert goes to the deepest qualifying node that holds the whole group.
 *
 * `monitoredUnder(nodeId)` is the number of monitored sensors (active quarantine, not commissioning)
 * in the node's subtree; the engine keeps these counts.
 */
export function detectOutages(
  silent: readonly SilentMonitoredSensor[],
  monitoredUnder: (nodeId: string) => number,
  policy: OutagePolicy,
): OutageCandidate[] {
  const byNode = new Map<string, { path: readonly string[]; members: SilentMonitoredSensor[] }>();
  for (const s of silent) {
    for (let i = 0; i < s.gridPath.length; i++) {
      const nodeId = s.gridPath[i]!;
      let g = byNode.get(nodeId);
      if (!g) {
        g = { path: s.gridPath.slice(0, i + 1), members: [] };
        byNode.set(nodeId, g);
      }
      g.members.push(s);
    }
  }
  const qualifying = new Map<string, OutageCandidate>();
  for (const [nodeId, g] of byNode) {
    const thresholds = thresholdsAt(policy, nodeId);
    if (g.members.length < thresholds.outageMinSensors) continue;
    const monitored = monitoredUnder(nodeId);
    const cluster = largestCluster(g.members, policy.heartbeatIntervalMs);
    if (qualifies(cluster.length, monitored, thresholds)) {
      qualifying.set(nodeId, { nodeId, path: g.path, sensorIds: cluster.map((s) => s.sensorId), monitored });
    }
  }
  const pathOf = new Map(silent.map((s) => [s.sensorId, s.gridPath]));
  const out: OutageCandidate[] = [];
  for (const c of qualifying.values()) {
    const ancestorQualifies = c.path.slice(0, -1).some((id) => qualifying.has(id));
    if (!ancestorQualifies) out.push(deepestHolding(c, qualifying, pathOf));
  }
  return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

/**
 * The outage belongs where its silent sensors are: the deepest qualifying
 * node that still holds every one of them (their common ancestor). Ten seals
 * behind one gateway in a village → the village, even when the county above
 * qualifies too; a township's power cut across its villages → the township.
 */
function deepestHolding(
  top: OutageCandidate,
  qualifying: Map<string, OutageCandidate>,
  pathOf: Map<string, readonly string[]>,
): OutageCandidate {
  let best = top;
  for (const q of qualifying.values()) {
    if (q.path.length <= best.path.length || !q.path.includes(top.nodeId)) continue;
    if (top.sensorIds.every((id) => pathOf.get(id)?.includes(q.nodeId))) best = q;
  }
  return best;
}

/** An open outage holds while the node's silent monitored sensors (any time) still meet the thresholds. */
export function outageHolds(
  nodeId: string,
  silent: readonly SilentMonitoredSensor[],
  monitoredUnder: (nodeId: string) => number,
  policy: OutagePolicy,
): boolean {
  let n = 0;
  for (const s of silent) if (s.gridPath.includes(nodeId)) n++;
  return qualifies(n, monitoredUnder(nodeId), thresholdsAt(policy, nodeId));
}

/**
 * The most sensors that may have fallen silent at one same moment. Each fell silent somewhere in
 * [lastSeen, lastSeen + its own interval] (silence is judged per model: an hourly Zigbee sensor last
 * heard 40 min before a power cut fell silent with the minute-beat seals cut at the same time);
 * the largest group of these spans sharing a point is the cluster. With one interval for all this is
 * "last-seen times within one interval of each other", as it always was.
 */
function largestCluster(members: SilentMonitoredSensor[], defaultSpanMs: number): SilentMonitoredSensor[] {
  const spanOf = (s: SilentMonitoredSensor) => s.intervalMs ?? defaultSpanMs;
  // A sweep over span starts (+1) and ends (-1), starts first at equal times (spans are inclusive):
  // O(n log n) for a county's worth of silent seals.
  const events: Array<[at: number, delta: 1 | -1]> = [];
  for (const m of members) events.push([m.lastSeen, 1], [m.lastSeen + spanOf(m), -1]);
  events.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let open = 0;
  let best = 0;
  let bestAt = 0;
  for (const [at, delta] of events) {
    open += delta;
    if (open > best) {
      best = open;
      bestAt = at;
    }
  }
  return members
    .filter((s) => s.lastSeen <= bestAt && bestAt <= s.lastSeen + spanOf(s))
    .sort((a, b) => a.lastSeen - b.lastSeen);
}
