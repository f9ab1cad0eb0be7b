import { LOW_BATTERY_PCT, type SealState } from '../../core/sealState.ts';
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
 * Counts per grid node for its whole subtree, in one pass over the sensors:
 * each sensor adds to its leaf and every ancestor. Sensors in commissioning
 * are left out.
 */
export function countByNode(
  registry: Registry,
  states: { state(id: string): SealState | undefined },
  now: number,
  offlineAfterMs: number,
  openAlerts: Iterable<{ gridId: string; type: string }>,
): Map<string, NodeCounts> {
  const counts = new Map<string, NodeCounts>();
  const paths = new Map<string, string[]>();
  const pathOf = (gridId: string) => {
    let path = paths.get(gridId);
    if (!path) {
      path = registry.tree.pathToRoot(gridId).map((n) => n.id);
      paths.set(gridId, path);
    }
    return path;
  };
  const at = (id: string) => {
    let c = counts.get(id);
    if (!c) {
      c = empty();
      counts.set(id, c);
    }
    return c;
  };
  for (const node of registry.tree.all()) at(node.id);

  const armed = new Map<string, boolean>();
  for (const h of registry.allHouseholds()) {
    armed.set(h.id, registry.isArmed(h.id, now));
    for (const id of pathOf(h.gridId)) at(id).households++;
  }
  for (const sensor of registry.allSensors()) {
    if (registry.inCommissioning(sensor.id, now)) continue;
    const household = registry.household(sensor.householdId);
    if (!household) continue;
    const s = states.state(sensor.id);
    const isArmed = armed.get(household.id) === true;
    const offline = !s?.online || s.lastSeen === null || now - s.lastSeen > offlineAfterMs;
    const low = s?.battery !== null && s?.battery !== undefined && s.battery < LOW_BATTERY_PCT;
    for (const id of pathOf(household.gridId)) {
      const c = at(id);
      if (isArmed) c.sealed++;
      if (isArmed && s?.door === 'open') c.open++;
      if (offline) c.offline++;
      if (low) c.lowBattery++;
    }
  }
  for (const alert of openAlerts) {
    for (const id of pathOf(alert.gridId)) {
      const c = at(id);
      c.alerts[alert.type] = (c.alerts[alert.type] ?? 0) + 1;
    }
  }
  return counts;
}
