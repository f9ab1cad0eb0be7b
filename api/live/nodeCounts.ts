import type { SealState } from '../../core/sealState.ts';
import type { Registry } from '../../registry/registry.ts';

export interface NodeCounts {
  households: number;
  /** Sensors on armed households (quarantine, no window now). */
  sealed: number;
  /** Sealed sensors whose door is open now. */
  open: number;
  offline: number;
  lowBattery: number;
  /** Open (unresolved) alerts by type, when alerting is wired. */
  alerts: Record<string, number>;
}

const empty = (): NodeCounts => ({
  households: 0,
  sealed: 0,
  open: 0,
  offline: 0,
  lowBattery: 0,
  alerts: {},
});

/**
 * Counts per grid node for its whole subtree. One pass over the sensors puts each on its
 * household's own node; the totals then roll up the tree once per node rather than once per
 * sensor (100,000 sensors, a few thousand nodes). Sensors in commissioning are left out.
 */
export function countByNode(
  registry: Registry,
  states: { state(id: string): SealState | undefined },
  now: number,
  openAlerts: Iterable<{ gridId: string; type: string }>,
): Map<string, NodeCounts> {
  const own = new Map<string, NodeCounts>();
  const ownAt = (gridId: string) => {
    let c = own.get(gridId);
    if (!c) {
      c = empty();
      own.set(gridId, c);
    }
    return c;
  };

  const armed = new Map<string, boolean>();
  for (const h of registry.allHouseholds()) {
    armed.set(h.id, registry.isArmed(h.id, now));
    ownAt(h.gridId).households++;
  }
  for (const sensor of registry.allSensors()) {
    if (registry.inCommissioning(sensor.id, now)) continue;
    const household = registry.household(sensor.householdId);
    if (!household) continue;
    const s = states.state(sensor.id);
    const c = ownAt(household.gridId);
    const isArmed = armed.get(household.id) === true;
    if (isArmed) c.sealed++;
    if (isArmed && s?.door === 'open') c.open++;
    if (!s?.online || s.lastSeen === null || now - s.lastSeen > registry.offlineAfterMs(sensor)) c.offline++;
    if (s?.battery != null && s.battery < registry.lowBatteryThreshold(sensor, household.gridId))
      c.lowBattery++;
  }
  for (const alert of openAlerts) {
    const c = ownAt(alert.gridId);
    c.alerts[alert.type] = (c.alerts[alert.type] ?? 0) + 1;
  }

  const counts = new Map<string, NodeCounts>();
  for (const node of registry.tree.all()) counts.set(node.id, empty());
  for (const [gridId, c] of own) {
    for (const node of registry.tree.pathToRoot(gridId)) {
      const total = counts.get(node.id);
      if (total) addInto(total, c);
    }
  }
  return counts;
}

function addInto(total: NodeCounts, c: NodeCounts): void {
  total.households += c.households;
  total.sealed += c.sealed;
  total.open += c.open;
  total.offline += c.offline;
  total.lowBattery += c.lowBattery;
  for (const [type, n] of Object.entries(c.alerts)) total.alerts[type] = (total.alerts[type] ?? 0) + n;
}
