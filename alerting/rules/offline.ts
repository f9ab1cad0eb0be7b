import type { ActiveAlertRef, Decision } from '../alertModel.ts';
import { detectOutages, type OutagePolicy, outageHolds, type SilentMonitoredSensor } from './outage.ts';

/**
 * A slow model's hold is capped: a sensor that reports every 18 h would otherwise wait 18 h more
 * after its deadline. An hour still lets an outage form among hourly Zigbee sensors.
 */
const MAX_MODEL_HOLD_MS = 3_600_000;

/** A sensor the tracker reports silent, joined by the engine with what the store knows. */
export interface SilentSensorView extends SilentMonitoredSensor {
  householdId: string | null;
  /** Effective deadline that passed (from the tracker). */
  deadline: number;
  /** Active quarantine and not in commissioning, at the sweep's `now`. */
  monitored: boolean;
  activeOffline: ActiveAlertRef;
}

export interface OfflineSweepInput {
  now: number;
  /** Every currently silent sensor (tracker.silent()), not only the newly expired ones. */
  silent: readonly SilentSensorView[];
  monitoredUnder: (nodeId: string) => number;
  /** Unresolved outage alerts by node id. */
  activeOutages: ReadonlyMap<string, ActiveAlertRef & {}>;
  policy: OutagePolicy;
  /**
   * How long a silent sensor's own alert waits for an outage to form around it. Defaults to one
   * heartbeat interval, the sensor's own (its model's): every sensor that fell silent within one
   * interval of it has expired by then.
   */
  holdMs?: number;
  /**
   * No new offline alert before this moment: the end of the start-up grace (plus the hold). A
   * restart can split a group that falls silent together — those already silent before it, the
   * rest graced after it — and an outage must have the time to form around all of them, as it would
   * have without the restart.
   */
  raiseNotBefore?: number;
}

/**
 * One sweep of offline/outage decisions:
 * 1. resolve outages that no longer hold (fewer silent sensors than the thresholds);
 * 2. raise outages at new maximal qualifying nodes not already covered by an open outage above;
 * 3. raise `offline` for each monitored silent sensor without one, once its hold has passed and no
 *    open outage covers any node of its path (the outage explains it; held back, not dropped: if the
 *    outage ends while the sensor is still silent, its own alert follows on the next sweep).
 * Silent sensors that are not monitored (no active quarantine, commissioning) raise nothing.
 */
export function evaluateOfflineSweep(input: OfflineSweepInput): Decision[] {
  const { now, policy } = input;
  const holdOf = (s: SilentSensorView) =>
    input.holdMs ??
    (s.intervalMs === undefined ? policy.heartbeatIntervalMs : Math.min(s.intervalMs, MAX_MODEL_HOLD_MS));
  const monitored = input.silent.filter((s) => s.monitored);
  const out: Decision[] = [];

  const covering = new Set<string>();
  for (const [nodeId, active] of input.activeOutages) {
    if (outageHolds(nodeId, monitored, input.monitoredUnder, policy)) {
      covering.add(nodeId);
    } else {
      out.push({ kind: 'resolve', alertId: active.id, at: now, reason: 'outageOver', detail: { nodeId } });
    }
  }

  for (const c of detectOutages(monitored, input.monitoredUnder, policy)) {
    if (c.path.some((id) => covering.has(id))) continue;
    covering.add(c.nodeId);
    out.push({
      kind: 'raise',
      alert: {
        type: 'outage',
        severity: 'critical',
        gridId: c.nodeId,
        openedAt: now,
        detail: {
          silent: c.sensorIds.length,
          monitored: c.monitored,
          sensorIds: c.sensorIds.slice(0, 50),
        },
      },
    });
  }

  for (const s of monitored) {
    if (s.activeOffline || now < s.deadline + holdOf(s) || now < (input.raiseNotBefore ?? 0)) continue;
    if (s.gridPath.some((id) => covering.has(id))) continue;
    const gridId = s.gridPath[s.gridPath.length - 1];
    if (gridId === undefined) continue;
    out.push({
      kind: 'raise',
      alert: {
        type: 'offline',
        severity: 'warning',
        sensorId: s.sensorId,
        ...(s.householdId !== null ? { householdId: s.householdId } : {}),
        gridId,
        openedAt: now,
        detail: { lastSeen: s.lastSeen, silentSince: s.deadline },
      },
    });
  }
  return out;
}

/** Any message from a sensor resolves its offline alert. */
export function evaluateSeen(activeOffline: ActiveAlertRef, at: number): Decision | null {
  if (!activeOffline) return null;
  return { kind: 'resolve', alertId: activeOffline.id, at, reason: 'backOnline', detail: {} };
}

export type ClockJump = 'forward' | 'backward' | null;

/**
 * The sweep runs every `periodMs`. A gap between sweeps longer than `2 × period + 5 s` means we did
 * not run (event-loop stall, suspended VM) or the wall clock jumped ahead: the engine must then call
 * `tracker.regrace(now)` before `expired(now)`, so silence we could not observe raises nothing.
 * A backward jump only delays deadlines; it is reported for logging.
 */
export function detectClockJump(lastSweepAt: number | null, now: number, periodMs: number): ClockJump {
  if (lastSweepAt === null) return null;
  if (now < lastSweepAt) return 'backward';
  if (now - lastSweepAt > 2 * periodMs + 5_000) return 'forward';
  return null;
}
