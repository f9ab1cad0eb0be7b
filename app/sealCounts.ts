import type { SealState } from '../core/sealState.ts';
import type { Registry } from '../registry/registry.ts';

/** Fleet-wide numbers for /metrics. Sensors in commissioning are left out of counts. */
export function sealCounts(
  registry: Registry,
  seals: { state(id: string): SealState | undefined },
  now: number,
) {
  const counts = { total: 0, open: 0, offline: 0, lowBattery: 0, armed: 0 };
  for (const sensor of registry.allSensors()) {
    if (registry.inCommissioning(sensor.id, now)) continue;
    const s = seals.state(sensor.id);
    counts.total++;
    if (s?.door === 'open') counts.open++;
    if (!s || s.lastSeen === null || !s.online || now - s.lastSeen > registry.offlineAfterMs(sensor))
      counts.offline++;
    const gridId = registry.household(sensor.householdId)?.gridId;
    if (
      s?.battery != null &&
      gridId !== undefined &&
      s.battery < registry.lowBatteryThreshold(sensor, gridId)
    )
      counts.lowBattery++;
    if (registry.isArmed(sensor.householdId, now)) counts.armed++;
  }
  return counts;
}
