import { type ArmingInputs, covers, overlaps } from './arming.ts';
import { DutyIndex } from './duty/dutyIndex.ts';
import type { Absence, Roster } from './duty/dutySchemas.ts';
import { LevelTagCache } from './gridLevelTags.ts';
import { GridTree } from './gridTree.ts';
import { type PlatformApp, type PlatformAppRow, publicPlatformApp } from './platformAppSchemas.ts';
import type { GridPolicy } from './policy/policyFields.ts';
import { PolicyIndex } from './policy/policyIndex.ts';
import type { Gateway, GridNode, Household, Quarantine, Sensor, Window, Worker } from './schemas.ts';
import {
  DEFAULT_GENERIC_HEARTBEAT,
  GENERIC_MODEL,
  type GenericHeartbeat,
  modelCatalog,
  type SensorModel,
} from './sensorModels.ts';
import type { GatewayRow, SensorRow } from './storedRecords.ts';

/** Everything the registry holds, as the store reads it at load and at every reload. */
export interface RegistrySnapshot {
  grid: GridNode[];
  workers: Worker[];
  households: Household[];
  sensors: SensorRow[];
  gateways: GatewayRow[];
  quarantines: Quarantine[];
  windows: Window[];
  policies: GridPolicy[];
  /** Carrier platform applications (absent from stores that predate them). */
  platformApps?: PlatformAppRow[];
  /** Models an admin added, and shipped ones an admin edited. */
  models: SensorModel[];
  /** Duty rosters and absences (absent from stores that predate them). */
  rosters?: Roster[];
  absences?: Absence[];
}

/** Where a sensor is: its household and node, its model, and the node's roll-up tags. */
export interface SensorPlacement {
  household: Household;
  householdId: string;
  gridId: string;
  model: string;
  heartbeatCarriesDoor: boolean;
  /** Level tag → ancestor id: the node's roll-up tags (gridLevelTags.ts). */
  levels: Readonly<Record<string, string>>;
}

/**
 * The registry's read index: every record in memory, with the lookups that the hot paths
 * (authentication, ingest, arming, the counts) read synchronously: sensor → household → grid node,
 * friendly name → sensor, household → its quarantines and windows, grid node → its households and
 * windows, and the grid tree itself.
 *
 * Records are held by reference: a command changes a record in place after the store took the
 * write, so a reader holding the record sees the change. Only the commands (registry/commands/*)
 * call the "kept in step" methods at the bottom, and only after their store write succeeded;
 * everyone else reads through the Registry.
 */
export class RegistryIndex {
  readonly tree = new GridTree();
  /** Telemetry tags per grid level (gridLevelTags.ts), for each placement. */
  private readonly levelTags = new LevelTagCache(this.tree);
  /** Policies per grid node and what is in force where (kept in step by commands/policyCommands.ts). */
  readonly policies = new PolicyIndex(this.tree);
  /** Duty rosters by node and absences by worker (kept in step by commands/rosterCommands.ts). */
  readonly duty = new DutyIndex();
  private readonly workers = new Map<string, Worker>();
  private readonly households = new Map<string, Household>();
  private readonly sensors = new Map<string, SensorRow>();
  /** The last placement handed out per sensor (placement()). */
  private readonly placements = new Map<string, SensorPlacement>();
  private readonly byFriendlyName = new Map<string, string>();
  private readonly gateways = new Map<string, GatewayRow>();
  private readonly platformApps = new Map<string, PlatformAppRow>();
  private readonly quarantinesByHousehold = new Map<string, Quarantine[]>();
  private readonly windowsByHousehold = new Map<string, Window[]>();
  private readonly windowsByGrid = new Map<string, Window[]>();
  private readonly sensorsByHousehold = new Map<string, Set<string>>();
  private readonly householdsByGrid = new Map<string, Set<string>>();
  /**
   * Worker ids by grid node. The escalation chain asks for the workers of each node up the tree at
   * every alert: filtering every worker of a county at each level cost about 90 µs a breach at 500
   * workers, on the event loop inside the breach's commit (issue 20.5).
   */
  private readonly workersByGrid = new Map<string, Set<string>>();
  /** Sensor models by id: generic (from the environment), shipped, stored. */
  private models: Map<string, SensorModel>;

  constructor(private readonly genericHeartbeat: GenericHeartbeat = DEFAULT_GENERIC_HEARTBEAT) {
    this.models = modelCatalog(genericHeartbeat, []);
  }

  // ---- filling: at load, and again at every reload

  fill(snap: RegistrySnapshot): void {
    this.models = modelCatalog(this.genericHeartbeat, snap.models);
    for (const n of snap.grid) this.tree.add(n);
    for (const w of snap.workers) this.putWorker(w);
    for (const h of snap.households) this.putHousehold(h);
    for (const s of snap.sensors) this.putSensor(s);
    for (const g of snap.gateways) this.putGateway(g);
    for (const q of snap.quarantines) this.putQuarantine(q);
    for (const w of snap.windows) this.putWindow(w);
    for (const p of snap.policies) this.policies.put(p);
    for (const a of snap.platformApps ?? []) this.putPlatformApp(a);
    for (const r of snap.rosters ?? []) this.duty.putRoster(r);
    for (const a of snap.absences ?? []) this.duty.putAbsence(a);
    // Nothing this service writes makes a cycle; one already stored (a hand edit, an older version)
    // is reported here, at load and at every reload, and the walks treat its closing link as broken.
    this.tree.auditCycles();
  }

  clear(): void {
    this.tree.clear();
    this.policies.clear();
    this.duty.clear();
    for (const map of [
      this.workers,
      this.households,
      this.sensors,
      this.byFriendlyName,
      this.gateways,
      this.platformApps,
      this.quarantinesByHousehold,
      this.windowsByHousehold,
      this.windowsByGrid,
      this.sensorsByHousehold,
      this.householdsByGrid,
      this.workersByGrid,
    ] as Map<string, unknown>[]) {
      map.clear();
    }
  }

  // ---- reads (synchronous, from memory)

  sensorModel(id: string): SensorModel | undefined {
    return this.models.get(id);
  }
  allModels(): SensorModel[] {
    return [...this.models.values()];
  }
  /**
   * The model a sensor is judged by: its own, or `generic` for a model id the catalog does not
   * know (a row written by an older version or copied from another database). Two map lookups: the
   * ingest and alerting hot paths call it for every message.
   */
  modelOf(sensor: { model: string }): SensorModel {
    return this.models.get(sensor.model) ?? this.models.get(GENERIC_MODEL)!;
  }

  gridNode(id: string): GridNode | undefined {
    return this.tree.get(id);
  }
  worker(id: string): Worker | undefined {
    return this.workers.get(id);
  }
  household(id: string): Household | undefined {
    return this.households.get(id);
  }
  sensor(id: string): Sensor | undefined {
    return this.sensors.get(id);
  }
  /** The stored sensor, secret hash included: for the commands, never for a view. */
  sensorRow(id: string): SensorRow | undefined {
    return this.sensors.get(id);
  }
  sensorSecretHash(id: string): string | undefined {
    return this.sensors.get(id)?.secretHash;
  }
  sensorByFriendlyName(name: string): Sensor | undefined {
    const id = this.byFriendlyName.get(name);
    return id === undefined ? undefined : this.sensors.get(id);
  }
  /** The id of the sensor a friendly name is bound to. */
  friendlyNameOwner(name: string): string | undefined {
    return this.byFriendlyName.get(name);
  }
  gateway(id: string): Gateway | undefined {
    return this.gateways.get(id);
  }
  /** The stored gateway, secret hash included: for the commands, never for a view. */
  gatewayRow(id: string): GatewayRow | undefined {
    return this.gateways.get(id);
  }
  gatewaySecretHash(id: string): string | undefined {
    return this.gateways.get(id)?.secretHash;
  }

  /**
   * The sensors of a subtree (null: the whole grid) with their household's node, node by node
   * from `rootId` down: a village's seals are found without looking at the county's 100,000.
   */
  *sensorsUnder(rootId: string | null): Generator<{ sensor: Sensor; gridId: string }> {
    const roots =
      rootId === null
        ? this.tree
            .all()
            .filter((n) => n.parentId === null)
            .map((n) => n.id)
        : [rootId];
    for (const root of roots) {
      for (const node of this.tree.subtree(root)) {
        for (const householdId of this.householdsByGrid.get(node.id) ?? []) {
          for (const sensorId of this.sensorsByHousehold.get(householdId) ?? []) {
            const sensor = this.sensors.get(sensorId);
            if (sensor) yield { sensor, gridId: node.id };
          }
        }
      }
    }
  }

  get sensorCount(): number {
    return this.sensors.size;
  }
  allSensors(): Sensor[] {
    return [...this.sensors.values()];
  }
  platformApp(id: string): PlatformApp | undefined {
    const row = this.platformApps.get(id);
    return row && publicPlatformApp(row);
  }
  /** The stored application, token included: for verifying a platform's push, never for a view. */
  platformAppRow(id: string): PlatformAppRow | undefined {
    return this.platformApps.get(id);
  }
  /** Platform applications without their tokens. */
  allPlatformApps(): PlatformApp[] {
    return [...this.platformApps.values()].map(publicPlatformApp);
  }

  /** Gateways without their secret hashes. */
  allGateways(): Gateway[] {
    return [...this.gateways.values()].map(({ secretHash: _, ...g }) => g);
  }
  allHouseholds(): Household[] {
    return [...this.households.values()];
  }
  allWorkers(): Worker[] {
    return [...this.workers.values()];
  }
  workersAt(gridId: string): Worker[] {
    return [...(this.workersByGrid.get(gridId) ?? [])].map((id) => this.workers.get(id)!);
  }
  /** The households placed directly on a grid node. */
  householdsAt(gridId: string): Household[] {
    return [...(this.householdsByGrid.get(gridId) ?? [])].map((id) => this.households.get(id)!);
  }
  /** The windows set on a grid node itself (not those of its households). */
  windowsAt(gridId: string): readonly Window[] {
    return this.windowsByGrid.get(gridId) ?? [];
  }
  sensorsOf(householdId: string): Sensor[] {
    return [...(this.sensorsByHousehold.get(householdId) ?? [])].map((id) => this.sensors.get(id)!);
  }
  quarantinesOf(householdId: string): readonly Quarantine[] {
    return this.quarantinesByHousehold.get(householdId) ?? [];
  }

  /**
   * The household and grid node a sensor belongs to, for tagging and routing. Ingest asks for every
   * message: the answer is kept per sensor and handed out again while every input is the same (two
   * objects per message were garbage in the ingest profile, issue 20.1), so it is frozen.
   */
  placement(sensorId: string): SensorPlacement | undefined {
    const s = this.sensors.get(sensorId);
    const h = s && this.households.get(s.householdId);
    if (!s || !h) return undefined;
    const heartbeatCarriesDoor = this.modelOf(s).heartbeatCarriesDoor;
    const levels = this.levelTags.of(h.gridId);
    const held = this.placements.get(sensorId);
    // A household is updated in place (replaceHousehold): its id and node are compared by value.
    if (
      held !== undefined &&
      held.household === h &&
      held.householdId === h.id &&
      held.gridId === h.gridId &&
      held.model === s.model &&
      held.heartbeatCarriesDoor === heartbeatCarriesDoor &&
      held.levels === levels
    )
      return held;
    const placement: SensorPlacement = Object.freeze({
      household: h,
      householdId: h.id,
      gridId: h.gridId,
      model: s.model,
      heartbeatCarriesDoor,
      levels,
    });
    this.placements.set(sensorId, placement);
    return placement;
  }

  armingInputs(householdId: string): ArmingInputs {
    const h = this.households.get(householdId);
    const windows = [...(this.windowsByHousehold.get(householdId) ?? [])];
    if (h)
      for (const node of this.tree.pathToRoot(h.gridId))
        windows.push(...(this.windowsByGrid.get(node.id) ?? []));
    return { quarantines: this.quarantinesOf(householdId), windows };
  }

  /**
   * Same answer as `isArmed(armingInputs(id), at)` without building the inputs: the counts and
   * lists ask this for every household, and most are settled by their quarantine alone.
   */
  isArmed(householdId: string, at: number): boolean {
    const quarantines = this.quarantinesByHousehold.get(householdId);
    if (!quarantines?.some((q) => covers(q, at))) return false;
    if (this.windowsByHousehold.get(householdId)?.some((w) => covers(w, at))) return false;
    if (this.windowsByGrid.size === 0) return true;
    const h = this.households.get(householdId);
    if (!h) return true;
    return !this.tree
      .pathToRoot(h.gridId)
      .some((n) => this.windowsByGrid.get(n.id)?.some((w) => covers(w, at)));
  }

  inCommissioning(sensorId: string, at: number): boolean {
    const until = this.sensors.get(sensorId)?.commissioningUntil;
    return until !== null && until !== undefined && at < until;
  }

  /**
   * The household's quarantine that shares time with [start, end) (end null: open-ended), if any.
   * A household is in one quarantine at a time: two that overlap make its end ambiguous.
   */
  overlappingQuarantine(
    householdId: string,
    start: number,
    end: number | null,
    exceptId?: string,
  ): Quarantine | undefined {
    return this.quarantinesOf(householdId).find((q) => q.id !== exceptId && overlaps(q, { start, end }));
  }

  quarantine(id: string): Quarantine | undefined {
    for (const list of this.quarantinesByHousehold.values()) {
      const q = list.find((x) => x.id === id);
      if (q) return q;
    }
    return undefined;
  }

  window(id: string): Window | undefined {
    for (const map of [this.windowsByHousehold, this.windowsByGrid]) {
      for (const list of map.values()) {
        const w = list.find((x) => x.id === id);
        if (w) return w;
      }
    }
    return undefined;
  }

  /** Device secret hashes, for an external broker's password file (whole-grid admins only). */
  *deviceSecretHashes(): Generator<{ kind: 'sensor' | 'gateway'; id: string; hash: string }> {
    for (const s of this.sensors.values()) yield { kind: 'sensor', id: s.id, hash: s.secretHash };
    for (const g of this.gateways.values()) yield { kind: 'gateway', id: g.id, hash: g.secretHash };
  }

  // ---- kept in step by the commands, after the store took their write (grid nodes: `tree`)

  putWorker(w: Worker): void {
    const before = this.workers.get(w.id);
    if (before) this.workersByGrid.get(before.gridId)?.delete(w.id);
    this.workers.set(w.id, w);
    addUnder(this.workersByGrid, w.gridId, w.id);
  }
  removeWorker(id: string): void {
    const before = this.workers.get(id);
    if (before) this.workersByGrid.get(before.gridId)?.delete(id);
    this.workers.delete(id);
  }

  putHousehold(h: Household): void {
    this.households.set(h.id, h);
    addUnder(this.householdsByGrid, h.gridId, h.id);
  }
  /** `h` (the indexed record) takes `next`'s fields in place; it may move to another grid node. */
  replaceHousehold(h: Household, next: Household): void {
    this.householdsByGrid.get(h.gridId)?.delete(h.id);
    Object.assign(h, next);
    this.putHousehold(h);
  }
  /** The household and what hangs on it: its sensor list, quarantines and own windows. */
  removeHousehold(h: Household): void {
    this.households.delete(h.id);
    this.householdsByGrid.get(h.gridId)?.delete(h.id);
    this.sensorsByHousehold.delete(h.id);
    this.quarantinesByHousehold.delete(h.id);
    this.windowsByHousehold.delete(h.id);
  }

  putSensor(s: SensorRow): void {
    this.sensors.set(s.id, s);
    if (s.friendlyName !== null) this.byFriendlyName.set(s.friendlyName, s.id);
    addUnder(this.sensorsByHousehold, s.householdId, s.id);
  }
  /** `s` (the indexed record) takes `next`'s fields in place; its friendly name follows. */
  replaceSensor(s: SensorRow, next: SensorRow): void {
    if (s.friendlyName !== null) this.byFriendlyName.delete(s.friendlyName);
    Object.assign(s, next);
    if (s.friendlyName !== null) this.byFriendlyName.set(s.friendlyName, s.id);
  }
  /** Out of the lookups (putSensor puts it back); gateway memberships are dropped separately. */
  removeSensor(s: SensorRow): void {
    this.sensors.delete(s.id);
    this.placements.delete(s.id);
    if (s.friendlyName !== null) this.byFriendlyName.delete(s.friendlyName);
    this.sensorsByHousehold.get(s.householdId)?.delete(s.id);
  }
  dropFromGateways(sensorId: string): void {
    for (const g of this.gateways.values()) g.sensorIds = g.sensorIds.filter((x) => x !== sensorId);
  }
  /** The gateways that carry this sensor. */
  gatewaysOf(sensorId: string): GatewayRow[] {
    return [...this.gateways.values()].filter((g) => g.sensorIds.includes(sensorId));
  }

  putModel(m: SensorModel): void {
    this.models.set(m.id, m);
  }

  putGateway(g: GatewayRow): void {
    this.gateways.set(g.id, g);
  }
  removeGateway(id: string): void {
    this.gateways.delete(id);
  }

  putPlatformApp(a: PlatformAppRow): void {
    this.platformApps.set(a.id, a);
  }
  removePlatformApp(id: string): void {
    this.platformApps.delete(id);
  }

  putQuarantine(q: Quarantine): void {
    push(this.quarantinesByHousehold, q.householdId, q);
  }

  putWindow(w: Window): void {
    if (w.householdId !== null) push(this.windowsByHousehold, w.householdId, w);
    if (w.gridId !== null) push(this.windowsByGrid, w.gridId, w);
  }
  removeWindow(w: Window): void {
    const remove = (map: Map<string, Window[]>, key: string | null) => {
      if (key === null) return;
      map.set(
        key,
        (map.get(key) ?? []).filter((x) => x.id !== w.id),
      );
    };
    remove(this.windowsByHousehold, w.householdId);
    remove(this.windowsByGrid, w.gridId);
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Adds `id` to the set of `key` in an index of ids by key (the set made on first use). */
function addUnder(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (set) set.add(id);
  else index.set(key, new Set([id]));
}
