import { activeQuarantine } from '../../registry/arming.ts';
import { gatewayOf } from '../alertModel.ts';
import type { StoredAlert } from '../alertStore.ts';
import { inCommissioning } from '../rules/commissioning.ts';
import { evaluateGateways } from '../rules/gatewayOutage.ts';
import { evaluateOfflineSweep, type SilentSensorView } from '../rules/offline.ts';
import type { DecisionBatch } from './decisionBatch.ts';
import type { Decisions } from './decisions.ts';
import type { EngineContext } from './engineContext.ts';

/** However long the log-in queue after a start, offline detection resumes this long after the start at the latest. */
const MAX_STARTUP_GRACE_MS = 15 * 60_000;
const COUNTS_TTL_MS = 30_000;

/**
 * The sweep's offline and outage part: which silent seals are offline, and which grid nodes have
 * so many silent at once that it is an outage rather than many offline seals. Holds off after a
 * start while seals are still queueing to log in.
 */
export class OfflineSweep {
  /** Until the log-in queue after the start has drained (see AlertEngineOptions.connectBacklog). */
  private startingUp = true;
  private countsCache: { at: number; counts: Map<string, number> } | null = null;

  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
  ) {}

  /** The registry changed: monitored counts are computed afresh. */
  forgetCounts(): void {
    this.countsCache = null;
  }

  /**
   * The start-up grace lasts one window after the start and, while seals are still queueing to log
   * in, one window after the queue was last seen: the grace starts again from now. It ends at the
   * first sweep past the window with an empty queue (or MAX_STARTUP_GRACE_MS after the start).
   */
  waitForLogins(now: number): void {
    if (!this.startingUp) return;
    const { policy, logger } = this.c.o;
    const { tracker, startedAt } = this.c;
    const backlog = this.c.o.connectBacklog?.() ?? 0;
    const window = policy.heartbeatIntervalMs * policy.missedBeats;
    const capped = now - startedAt >= MAX_STARTUP_GRACE_MS;
    if (backlog > 0 && !capped) {
      tracker.regrace(now);
      return;
    }
    if (now < tracker.graceStart + window && !capped) return;
    this.startingUp = false;
    logger.info(
      { startedAt, graceFrom: tracker.graceStart, backlog, capped },
      capped
        ? 'offline detection resumes: the log-in queue after the start did not drain in time'
        : 'offline detection resumes: the log-in queue after the start has drained',
    );
  }

  sweep(batch: DecisionBatch, now: number): void {
    const { registry, policy } = this.c.o;
    const { tracker, memory } = this.c;
    const graceEnds = tracker.graceStart + policy.heartbeatIntervalMs * policy.missedBeats;
    const raiseNotBefore = graceEnds + policy.heartbeatIntervalMs;
    const heldBack = this.gatewaySweep(batch, now, raiseNotBefore);
    const outages = new Map<string, { id: string; status: StoredAlert['status']; count: number }>();
    for (const a of memory.byId.values())
      if (a.type === 'outage' && gatewayOf(a) === undefined) outages.set(a.gridId, a);
    if (tracker.silentCount === 0 && outages.size === 0) return;
    const silent: SilentSensorView[] = [];
    for (const s of tracker.silent()) {
      // Its gateway is silent: the gateway's alert explains it (rules/gatewayOutage.ts).
      if (heldBack.has(s.sensorId)) continue;
      const sensor = registry.sensor(s.sensorId);
      const household = sensor && registry.household(sensor.householdId);
      if (!sensor || !household) continue;
      silent.push({
        sensorId: s.sensorId,
        householdId: household.id,
        gridPath: registry.tree.pathIds(household.gridId),
        lastSeen: s.lastSeen,
        intervalMs: s.intervalMs,
        deadline: s.deadline,
        monitored: this.monitored(sensor, now),
        activeOffline: memory.ref('offline', `sensor:${s.sensorId}`),
      });
    }
    const monitoredUnder = (nodeId: string) => this.monitoredCounts(now).get(nodeId) ?? 0;
    const decisions = evaluateOfflineSweep({
      now,
      silent,
      monitoredUnder,
      activeOutages: outages,
      policy: { ...policy, outagePolicyOf: (nodeId) => this.c.policies.outagePolicyOf(nodeId) },
      raiseNotBefore,
    });
    for (const d of decisions) this.decisions.apply(batch, d, now);
  }

  /**
   * Silent gateways: one alert each, raised or resolved; returns the sensors whose own offline
   * alerts they hold back. Sensors of a gateway that is back are judged afresh from now.
   */
  private gatewaySweep(batch: DecisionBatch, now: number, raiseNotBefore: number): Set<string> {
    const { registry, policy } = this.c.o;
    const gateways = this.c.gateways.views((sensorId) => {
      const sensor = registry.sensor(sensorId);
      return sensor !== undefined && this.monitored(sensor, now);
    });
    if (gateways.length === 0) return new Set();
    const result = evaluateGateways({
      now,
      gateways,
      offlineWindowMs: policy.heartbeatIntervalMs * policy.missedBeats,
      raiseNotBefore,
    });
    for (const d of result.decisions) this.decisions.apply(batch, d, now);
    for (const id of result.back) {
      const g = gateways.find((v) => v.gatewayId === id);
      for (const s of g?.silent ?? []) this.c.tracker.restartWindow(s.sensorId, now);
    }
    return result.heldBack;
  }

  /** Seals silent now and monitored (for the daily report). */
  offlineNow(now: number): Array<{ sensorId: string; gridId: string; since: number }> {
    const { registry } = this.c.o;
    const out: Array<{ sensorId: string; gridId: string; since: number }> = [];
    for (const s of this.c.tracker.silent()) {
      const sensor = registry.sensor(s.sensorId);
      const h = sensor && registry.household(sensor.householdId);
      if (sensor && h && this.monitored(sensor, now))
        out.push({ sensorId: s.sensorId, gridId: h.gridId, since: s.deadline });
    }
    return out;
  }

  /** A silenced sensor is not: neither its offline alert nor a share of an outage (engine/silences.ts). */
  private monitored(
    sensor: { id: string; householdId: string; commissioningUntil: number | null },
    now: number,
  ): boolean {
    if (inCommissioning(sensor, now)) return false;
    if (this.c.silences.active(sensor.id, now)) return false;
    const inputs = this.c.o.registry.armingInputs(sensor.householdId);
    return activeQuarantine(inputs, now) !== undefined;
  }

  /**
   * Monitored sensors per grid node (subtree counts), computed only when something is silent, and
   * reused for a while: a full pass over 100k sensors every sweep would stall the event loop, and
   * quarantines start and end on a scale of hours. Registry changes drop the cache.
   */
  private monitoredCounts(now: number): Map<string, number> {
    if (this.countsCache && now - this.countsCache.at < COUNTS_TTL_MS && now >= this.countsCache.at)
      return this.countsCache.counts;
    const { registry } = this.c.o;
    const counts = new Map<string, number>();
    this.countsCache = { at: now, counts };
    for (const s of registry.allSensors()) {
      if (!this.monitored(s, now)) continue;
      const h = registry.household(s.householdId);
      if (!h) continue;
      for (const id of registry.tree.pathIds(h.gridId)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }
}
