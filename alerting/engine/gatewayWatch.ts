import { gatewayOf } from '../alertModel.ts';
import type { OfflineTracker } from '../offlineTracker.ts';
import type { GatewayView, SilentGatewaySensor } from '../rules/gatewayOutage.ts';
import type { AlertMemory } from './alertMemory.ts';
import type { DecisionBatch } from './decisionBatch.ts';
import type { AlertEngineOptions } from './engineOptions.ts';

/** The gateways whose bridge said `offline`, and since when (JSON object), so a restart knows. */
const OFFLINE_KEY = 'gateways.offline';

type GatewayRow = { id: string; name: string; sensorIds: readonly string[] };

/** What it reads of the engine (its EngineContext, which holds it: no import of it, no cycle). */
interface GatewayWatchDeps {
  readonly o: Pick<AlertEngineOptions, 'store' | 'registry' | 'logger'>;
  readonly tracker: OfflineTracker;
  readonly memory: AlertMemory;
}

/**
 * What alerting knows of gateways (rules/gatewayOutage.ts): which said they are offline (kept in the
 * alert store's state, written with the message that said it), and which gateways each sensor is
 * behind, to look at only the gateways that something is silent behind.
 */
export class GatewayWatch {
  private offline = new Map<string, number>();
  /** When each gateway's sensors were last given a fresh window (its relayed `online`). */
  private readonly backAt = new Map<string, number>();
  /** The registry's gateways by id and by sensor, built when first needed after a registry change. */
  private lookup: { byId: Map<string, GatewayRow>; bySensor: Map<string, GatewayRow[]> } | null = null;

  /** The context that holds this watch, read when used. */
  constructor(private readonly context: () => GatewayWatchDeps) {}

  private get c(): GatewayWatchDeps {
    return this.context();
  }

  async load(): Promise<void> {
    const saved = await this.c.o.store.getState(OFFLINE_KEY);
    this.offline = new Map(
      saved === undefined ? [] : Object.entries(JSON.parse(saved) as Record<string, number>),
    );
  }

  /** The registry changed: which sensors are behind which gateway is read again when next needed. */
  forget(): void {
    this.lookup = null;
  }

  get offlineCount(): number {
    return this.offline.size;
  }

  /**
   * A gateway's own status, relayed for one of its sensors (ingest/gatewayAvailability.ts): one
   * message per sensor, so the first `offline` records the gateway and the others find it recorded.
   * Back `online` after it was offline (or while its alert is open), the sensor is judged afresh
   * from now, by its own window. The next sweep raises or resolves the gateway's alert. Returns what
   * to do once `batch` is written (memory follows the database), or null when nothing changed.
   */
  status(
    msg: { gatewayId: string; sensorId: string; online: boolean; receivedAt: number },
    batch: DecisionBatch,
  ): (() => void) | null {
    const { gatewayId, online, receivedAt: at } = msg;
    const wasOffline = this.offline.has(gatewayId);
    const alertOpen = this.c.memory.activeFor('outage', `gateway:${gatewayId}`) !== undefined;
    if (online && (wasOffline || alertOpen)) this.restartWindows(gatewayId, at);
    if (online === !wasOffline) return null;
    const next = new Map(this.offline);
    if (online) next.delete(gatewayId);
    else next.set(gatewayId, at);
    batch.state[OFFLINE_KEY] = JSON.stringify(Object.fromEntries(next));
    this.c.o.logger.info({ gatewayId, online, at }, online ? 'gateway back online' : 'gateway offline');
    return () => {
      this.offline = next;
    };
  }

  /**
   * The gateway is back at `at`: every sensor behind it is judged afresh from then, at its first
   * relayed `online` (the others of the same bridge message, relayed with the same time, find it done).
   * Its own first message may come after its siblings' would have raised their alerts otherwise.
   */
  private restartWindows(gatewayId: string, at: number): void {
    if (this.backAt.get(gatewayId) === at) return;
    this.backAt.set(gatewayId, at);
    for (const id of this.registryLookup().byId.get(gatewayId)?.sensorIds ?? [])
      this.c.tracker.restartWindow(id, at);
  }

  /**
   * The gateways worth judging now: those that said they are offline, those with an open alert, and
   * those behind which a sensor is silent. `monitored` says whether a sensor is watched now.
   */
  views(monitored: (sensorId: string) => boolean): GatewayView[] {
    const { registry } = this.c.o;
    const { tracker, memory } = this.c;
    if (this.offline.size === 0 && tracker.silentCount === 0 && !this.anyAlertOpen()) return [];
    const candidates = new Map<string, GatewayRow>();
    const { byId, bySensor } = this.registryLookup();
    const add = (id: string) => {
      const g = byId.get(id);
      if (g) candidates.set(id, g);
    };
    for (const id of this.offline.keys()) add(id);
    for (const a of memory.byId.values()) {
      const id = gatewayOf(a);
      // A gateway taken off the registry has nothing behind it any more: its alert resolves.
      if (id !== undefined) candidates.set(id, byId.get(id) ?? { id, name: id, sensorIds: [] });
    }
    for (const s of tracker.silent()) for (const g of bySensor.get(s.sensorId) ?? []) candidates.set(g.id, g);
    const views: GatewayView[] = [];
    for (const g of candidates.values()) {
      const placed: string[] = [];
      const nodes: string[] = [];
      for (const id of g.sensorIds) {
        const sensor = registry.sensor(id);
        const household = sensor && registry.household(sensor.householdId);
        if (!household) continue;
        placed.push(id);
        nodes.push(household.gridId);
      }
      const silent: SilentGatewaySensor[] = [];
      for (const id of placed) {
        const deadline = tracker.silentDeadline(id);
        if (deadline !== undefined) silent.push({ sensorId: id, deadline });
      }
      views.push({
        gatewayId: g.id,
        name: g.name,
        gridId: nodes.length > 0 ? registry.tree.commonAncestor(nodes) : null,
        sensorIds: placed,
        offlineSince: this.offline.get(g.id) ?? null,
        silent,
        monitored: placed.filter(monitored).length,
        active: memory.ref('outage', `gateway:${g.id}`),
      });
    }
    return views;
  }

  private anyAlertOpen(): boolean {
    for (const a of this.c.memory.byId.values()) if (gatewayOf(a) !== undefined) return true;
    return false;
  }

  private registryLookup(): NonNullable<GatewayWatch['lookup']> {
    if (this.lookup) return this.lookup;
    const byId = new Map<string, GatewayRow>();
    const bySensor = new Map<string, GatewayRow[]>();
    for (const g of this.c.o.registry.allGateways?.() ?? []) {
      byId.set(g.id, g);
      for (const id of g.sensorIds) {
        const list = bySensor.get(id) ?? [];
        list.push(g);
        bySensor.set(id, list);
      }
    }
    this.lookup = { byId, bySensor };
    return this.lookup;
  }
}
