import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { conflict, invalid, notFound } from '../core/errors.ts';
import type { EventBus } from '../core/eventBus.ts';
import type { ServiceEvents } from '../core/events.ts';
import { type ArmingInputs, covers } from './arming.ts';
import { cycleRefusal } from './gridCycle.ts';
import { GridTree } from './gridTree.ts';
import {
  newGridNode,
  newHousehold,
  newQuarantine,
  newSensorRow,
  newWindow,
  newWorker,
} from './newRecords.ts';
import type {
  CreateGateway,
  CreateGridNode,
  CreateHousehold,
  CreateQuarantine,
  CreateSensor,
  CreateToken,
  CreateWindow,
  CreateWorker,
  Gateway,
  GridNode,
  Household,
  Quarantine,
  Sensor,
  Token,
  UpdateGridNode,
  UpdateHousehold,
  UpdateSensor,
  UpdateWorker,
  Window,
  Worker,
} from './schemas.ts';
import { tokenStatus } from './schemas.ts';
import { SecretHashUpgrades } from './secretHashUpgrades.ts';
import { hashSecret, hashToken, needsRehash, newSecret, newToken } from './secrets.ts';
import type { GatewayRow, RegistrySnapshot, SensorRow, Store } from './store.ts';

/**
 * The registry service: the grid, people, households, sensors and their
 * schedules. Writes go to the store first, then to the in-memory index that
 * the hot paths (authentication, ingest, arming) read synchronously.
 */
export class Registry {
  readonly tree = new GridTree();
  private readonly workers = new Map<string, Worker>();
  private readonly households = new Map<string, Household>();
  private readonly sensors = new Map<string, SensorRow>();
  private readonly byFriendlyName = new Map<string, string>();
  private readonly gateways = new Map<string, GatewayRow>();
  private readonly quarantinesByHousehold = new Map<string, Quarantine[]>();
  private readonly windowsByHousehold = new Map<string, Window[]>();
  private readonly windowsByGrid = new Map<string, Window[]>();
  private readonly sensorsByHousehold = new Map<string, Set<string>>();
  private readonly householdsByGrid = new Map<string, Set<string>>();
  private writes = 0;
  private readonly hashUpgrades: SecretHashUpgrades;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus<ServiceEvents>,
    private readonly clock: Clock,
  ) {
    this.hashUpgrades = new SecretHashUpgrades((upgrades) => store.upgradeSecretHashes(upgrades));
  }

  async load(): Promise<void> {
    this.index(await this.store.loadRegistry());
  }

  /**
   * Reads everything again after another instance changed the shared store. The snapshot is read
   * first and swapped in synchronously, so no reader ever sees a half-empty registry.
   */
  async reload(): Promise<void> {
    // A write of this instance that lands between the read and the swap would be lost with the
    // old index: read again until none did (writes index idempotently, so one landing after the
    // swap is applied on top).
    let snap: RegistrySnapshot;
    for (let attempt = 1; ; attempt++) {
      const writesBefore = this.writes;
      snap = await this.store.loadRegistry();
      if (this.writes === writesBefore || attempt === 10) break;
    }
    this.tree.clear();
    for (const map of [
      this.workers,
      this.households,
      this.sensors,
      this.byFriendlyName,
      this.gateways,
      this.quarantinesByHousehold,
      this.windowsByHousehold,
      this.windowsByGrid,
      this.sensorsByHousehold,
      this.householdsByGrid,
    ] as Map<string, unknown>[]) {
      map.clear();
    }
    this.index(snap);
    this.writes++;
  }

  private index(snap: RegistrySnapshot): void {
    for (const n of snap.grid) this.tree.add(n);
    for (const w of snap.workers) this.workers.set(w.id, w);
    for (const h of snap.households) this.indexHousehold(h);
    for (const s of snap.sensors) this.indexSensor(s);
    for (const g of snap.gateways) this.gateways.set(g.id, g);
    for (const q of snap.quarantines) push(this.quarantinesByHousehold, q.householdId, q);
    for (const w of snap.windows) this.indexWindow(w);
    // Nothing this service writes makes a cycle; one already stored (a hand edit, an older version)
    // is reported here, at load and at every reload, and the walks treat its closing link as broken.
    this.tree.auditCycles();
  }

  // ---- reads (synchronous, from memory) ----

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
  sensorSecretHash(id: string): string | undefined {
    return this.sensors.get(id)?.secretHash;
  }
  sensorByFriendlyName(name: string): Sensor | undefined {
    const id = this.byFriendlyName.get(name);
    return id === undefined ? undefined : this.sensors.get(id);
  }
  gateway(id: string): Gateway | undefined {
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
    return [...this.workers.values()].filter((w) => w.gridId === gridId);
  }
  sensorsOf(householdId: string): Sensor[] {
    return [...(this.sensorsByHousehold.get(householdId) ?? [])].map((id) => this.sensors.get(id)!);
  }

  /** The household and grid node a sensor belongs to, for tagging and routing. */
  placement(sensorId: string): { household: Household; gridId: string; model: string } | undefined {
    const s = this.sensors.get(sensorId);
    const h = s && this.households.get(s.householdId);
    return s && h ? { household: h, gridId: h.gridId, model: s.model } : undefined;
  }

  armingInputs(householdId: string): ArmingInputs {
    const h = this.households.get(householdId);
    const windows = [...(this.windowsByHousehold.get(householdId) ?? [])];
    if (h)
      for (const node of this.tree.pathToRoot(h.gridId))
        windows.push(...(this.windowsByGrid.get(node.id) ?? []));
    return { quarantines: this.quarantinesByHousehold.get(householdId) ?? [], windows };
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

  // ---- writes ----

  async createGridNode(input: CreateGridNode): Promise<GridNode> {
    if (this.tree.get(input.id)) throw conflict(`grid node '${input.id}' already exists`, { id: input.id });
    if (input.parentId === input.id) throw invalid(`grid node '${input.id}' cannot be its own parent`);
    if (input.parentId !== null && !this.tree.get(input.parentId))
      throw notFound('parent grid node', input.parentId);
    const node = newGridNode(input, this.clock.now());
    await this.store.insertGridNode(node);
    this.tree.add(node);
    this.changed('grid', node.id);
    return node;
  }

  async createWorker(input: CreateWorker): Promise<Worker> {
    if (this.workers.has(input.id)) throw conflict(`worker '${input.id}' already exists`, { id: input.id });
    this.requireGrid(input.gridId);
    const w = newWorker(input, this.clock.now());
    await this.store.insertWorker(w);
    this.workers.set(w.id, w);
    this.changed('worker', w.id);
    return w;
  }

  async createHousehold(input: CreateHousehold): Promise<Household> {
    if (this.households.has(input.id))
      throw conflict(`household '${input.id}' already exists`, { id: input.id });
    this.requireGrid(input.gridId);
    const h = newHousehold(input, this.clock.now());
    await this.store.insertHousehold(h);
    this.indexHousehold(h);
    this.changed('household', h.id);
    return h;
  }

  /** Returns the sensor and its device secret; the secret is kept only as a hash. */
  async createSensor(input: CreateSensor): Promise<{ sensor: Sensor; secret: string }> {
    if (this.sensors.has(input.id) || this.gateways.has(input.id)) {
      throw conflict(`sensor '${input.id}' already exists`, { id: input.id });
    }
    this.requireHousehold(input.householdId);
    if (input.friendlyName !== undefined && this.byFriendlyName.has(input.friendlyName)) {
      throw conflict(`friendly name '${input.friendlyName}' is already bound to another sensor`);
    }
    const secret = newSecret();
    const row = newSensorRow(input, this.clock.now(), await hashSecret(secret));
    await this.store.insertSensor(row);
    this.indexSensor(row);
    this.changed('sensor', row.id);
    return { sensor: publicSensor(row), secret };
  }

  async createGateway(input: CreateGateway): Promise<{ gateway: Gateway; secret: string }> {
    if (this.gateways.has(input.id) || this.sensors.has(input.id)) {
      throw conflict(`gateway '${input.id}' already exists`, { id: input.id });
    }
    const unknown = input.sensorIds.filter((id) => !this.sensors.has(id));
    if (unknown.length > 0) throw invalid(`unknown sensors: ${unknown.slice(0, 10).join(', ')}`, { unknown });
    const secret = newSecret();
    const row: GatewayRow = {
      id: input.id,
      name: input.name,
      sensorIds: [...new Set(input.sensorIds)],
      createdAt: this.clock.now(),
      secretHash: await hashSecret(secret),
    };
    await this.store.insertGateway(row);
    this.gateways.set(row.id, row);
    this.changed('gateway', row.id);
    const { secretHash: _, ...gateway } = row;
    return { gateway, secret };
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
    return (this.quarantinesByHousehold.get(householdId) ?? []).find(
      (q) =>
        q.id !== exceptId &&
        start < (q.end ?? Number.POSITIVE_INFINITY) &&
        q.start < (end ?? Number.POSITIVE_INFINITY),
    );
  }

  async createQuarantine(input: CreateQuarantine): Promise<Quarantine> {
    this.requireHousehold(input.householdId);
    const clash = this.overlappingQuarantine(input.householdId, input.start, input.end ?? null);
    if (clash) throw overlapConflict(clash);
    const q = newQuarantine(input, this.clock.now());
    await this.store.insertQuarantine(q);
    push(this.quarantinesByHousehold, q.householdId, q);
    this.changed('quarantine', q.id);
    return q;
  }

  async createWindow(input: CreateWindow): Promise<Window> {
    if (input.gridId !== undefined) this.requireGrid(input.gridId);
    if (input.householdId !== undefined) this.requireHousehold(input.householdId);
    const w = newWindow(input, this.clock.now());
    await this.store.insertWindow(w);
    this.indexWindow(w);
    this.changed('window', w.id);
    return w;
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

  /** Ends a quarantine (a household released early, or an end fixed later); arming follows at once. */
  async endQuarantine(id: string, end: number): Promise<Quarantine> {
    const q = this.quarantine(id);
    if (!q) throw notFound('quarantine', id);
    if (end <= q.start) throw invalid('end must be after the quarantine start');
    const clash = this.overlappingQuarantine(q.householdId, q.start, end, q.id);
    if (clash) throw overlapConflict(clash);
    await this.store.setQuarantineEnd(id, end);
    q.end = end;
    this.changed('quarantine', id);
    return q;
  }

  /** Cancels an authorized window: the household is armed again at once. */
  async cancelWindow(id: string): Promise<Window> {
    const w = this.window(id);
    if (!w) throw notFound('window', id);
    await this.store.deleteWindow(id);
    const remove = (map: Map<string, Window[]>, key: string | null) => {
      if (key === null) return;
      map.set(
        key,
        (map.get(key) ?? []).filter((x) => x.id !== id),
      );
    };
    remove(this.windowsByHousehold, w.householdId);
    remove(this.windowsByGrid, w.gridId);
    this.changed('window', id);
    return w;
  }

  // ---- updates and removals. Ids never change. A removal that would orphan records is refused with
  // what is still attached, so nothing disappears by accident: alert history keeps its ids as text.

  async updateGridNode(id: string, change: UpdateGridNode): Promise<GridNode> {
    const node = this.tree.get(id);
    if (!node) throw notFound('grid node', id);
    const parentId = change.parentId === undefined ? node.parentId : change.parentId;
    if (parentId !== node.parentId && parentId !== null) {
      if (!this.tree.get(parentId)) throw notFound('parent grid node', parentId);
      if (this.tree.isWithin(parentId, id)) throw cycleRefusal(id, parentId);
    }
    const next: GridNode = {
      ...node,
      name: change.name ?? node.name,
      level: change.level ?? node.level,
      parentId,
    };
    await this.store.updateGridNode(next);
    node.name = next.name;
    node.level = next.level;
    if (parentId !== node.parentId) this.tree.reparent(id, parentId);
    this.changed('grid', id);
    return node;
  }

  async deleteGridNode(id: string): Promise<GridNode> {
    const node = this.tree.get(id);
    if (!node) throw notFound('grid node', id);
    const attached = {
      childNodes: this.tree.childrenOf(id).length,
      workers: this.workersAt(id).length,
      households: [...this.households.values()].filter((h) => h.gridId === id).length,
      windows: (this.windowsByGrid.get(id) ?? []).length,
      tokens: await this.store.countTokensAt(id),
    };
    const held = Object.entries(attached).filter(([, n]) => n > 0);
    if (held.length > 0)
      throw conflict(
        `grid node '${id}' still has ${held.map(([what, n]) => `${n} ${what}`).join(', ')}: move or remove them first`,
        attached,
      );
    await this.store.deleteGridNode(id);
    this.tree.remove(id);
    this.changed('grid', id, true);
    return node;
  }

  async updateWorker(id: string, change: UpdateWorker): Promise<Worker> {
    const w = this.workers.get(id);
    if (!w) throw notFound('worker', id);
    if (change.gridId !== undefined) this.requireGrid(change.gridId);
    const next: Worker = { ...w, ...definedFields(change) };
    await this.store.updateWorker(next);
    this.workers.set(id, next);
    this.changed('worker', id);
    return next;
  }

  /** Alerts the worker held keep their history and go on escalating to the leaders above. */
  async deleteWorker(id: string): Promise<Worker> {
    const w = this.workers.get(id);
    if (!w) throw notFound('worker', id);
    await this.store.deleteWorker(id);
    this.workers.delete(id);
    this.changed('worker', id, true);
    return w;
  }

  async updateHousehold(id: string, change: UpdateHousehold): Promise<Household> {
    const h = this.households.get(id);
    if (!h) throw notFound('household', id);
    if (change.gridId !== undefined) this.requireGrid(change.gridId);
    if (h.purgedAt !== null && (change.address !== undefined || change.contact !== undefined))
      throw conflict(
        `household '${id}' had its personal data purged after its quarantine; register the household again`,
      );
    const next: Household = { ...h, ...definedFields(change) };
    await this.store.updateHousehold(next);
    this.householdsByGrid.get(h.gridId)?.delete(id);
    Object.assign(h, next);
    this.indexHousehold(h);
    this.changed('household', id);
    return h;
  }

  /** A household registered by mistake; one with sensors is refused (remove the sensors first). */
  async deleteHousehold(id: string): Promise<{ household: Household; doorEvents: number }> {
    const h = this.households.get(id);
    if (!h) throw notFound('household', id);
    const sensors = this.sensorsByHousehold.get(id)?.size ?? 0;
    if (sensors > 0)
      throw conflict(`household '${id}' still has ${sensors} sensors: remove them first`, { sensors });
    const { doorEvents } = await this.store.deleteHousehold(id);
    this.households.delete(id);
    this.householdsByGrid.get(h.gridId)?.delete(id);
    this.sensorsByHousehold.delete(id);
    this.quarantinesByHousehold.delete(id);
    this.windowsByHousehold.delete(id);
    this.changed('household', id, true);
    return { household: h, doorEvents };
  }

  async updateSensor(id: string, change: UpdateSensor): Promise<Sensor> {
    const s = this.sensors.get(id);
    if (!s) throw notFound('sensor', id);
    const name = change.friendlyName;
    if (name !== undefined && name !== null && this.byFriendlyName.get(name) !== undefined) {
      if (this.byFriendlyName.get(name) !== id)
        throw conflict(`friendly name '${name}' is already bound to another sensor`);
    }
    const next: SensorRow = { ...s, ...definedFields(change) };
    await this.store.updateSensor(next);
    if (s.friendlyName !== null) this.byFriendlyName.delete(s.friendlyName);
    Object.assign(s, next);
    if (s.friendlyName !== null) this.byFriendlyName.set(s.friendlyName, id);
    this.changed('sensor', id);
    return publicSensor(s);
  }

  /**
   * A sensor taken off a door (replaced, or registered by mistake): it can no longer log in or
   * publish, its live state goes, its door history stays with the household (purged with it).
   */
  async deleteSensor(id: string): Promise<Sensor> {
    const s = this.sensors.get(id);
    if (!s) throw notFound('sensor', id);
    // Out of the index first, so a message arriving while the store deletes is refused.
    this.sensors.delete(id);
    if (s.friendlyName !== null) this.byFriendlyName.delete(s.friendlyName);
    this.sensorsByHousehold.get(s.householdId)?.delete(id);
    try {
      await this.store.deleteSensor(id);
    } catch (err) {
      this.indexSensor(s);
      throw err;
    }
    for (const g of this.gateways.values()) g.sensorIds = g.sensorIds.filter((x) => x !== id);
    this.changed('sensor', id, true);
    return publicSensor(s);
  }

  /**
   * After `secret` matched a device's stored hash `verified`: if that hash is in an older format
   * (scrypt), store the secret's hash in today's (secrets.ts). Writes are grouped and compare-and-set,
   * so a secret replaced in the meantime is never set back. Not a registry change for anyone else
   * (no event, no reload on other instances): the device's secret is the same. Resolves true when
   * the new hash was stored.
   */
  async upgradeSecretHash(id: string, secret: string, verified: string): Promise<boolean> {
    if (!needsRehash(verified)) return false;
    const row = this.sensors.get(id) ?? this.gateways.get(id);
    if (row?.secretHash !== verified) return false;
    const kind = this.sensors.has(id) ? 'sensor' : 'gateway';
    const to = await hashSecret(secret);
    if (!(await this.hashUpgrades.submit({ kind, id, from: verified, to }))) return false;
    // The index follows the store only where it still holds the hash that was verified.
    const current = kind === 'sensor' ? this.sensors.get(id) : this.gateways.get(id);
    if (current?.secretHash === verified) current.secretHash = to;
    return true;
  }

  /** Until the hash upgrades submitted so far are stored. */
  flushSecretHashUpgrades(): Promise<void> {
    return this.hashUpgrades.drain();
  }

  /** Device secret hashes, for an external broker's password file (whole-grid admins only). */
  *deviceSecretHashes(): Generator<{ kind: 'sensor' | 'gateway'; id: string; hash: string }> {
    for (const s of this.sensors.values()) yield { kind: 'sensor', id: s.id, hash: s.secretHash };
    for (const g of this.gateways.values()) yield { kind: 'gateway', id: g.id, hash: g.secretHash };
  }

  /** Returns the token record and its value; the value is kept only as a hash. */
  async createToken(
    input: CreateToken,
    value: string = newToken(),
  ): Promise<{ token: Token; value: string }> {
    if (input.gridId !== null) this.requireGrid(input.gridId);
    const now = this.clock.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw invalid(`expiresAt: must lie in the future (now is ${new Date(now).toISOString()})`);
    }
    const token: Token = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      gridId: input.gridId,
      createdAt: now,
      revokedAt: null,
      expiresAt: input.expiresAt ?? null,
    };
    await this.store.insertToken({ ...token, tokenHash: hashToken(value) });
    this.changed('token', token.id);
    return { token, value };
  }

  /**
   * The token a caller presents, if it may be used now: not revoked, not expired. Read from the
   * store on every call (not the in-memory index), so a revocation on any instance sharing the
   * store counts at once.
   */
  async findToken(value: string): Promise<Token | null> {
    const token = await this.tokenRecord(value);
    return token && tokenStatus(token, this.clock.now()) === 'active' ? token : null;
  }

  /** The token with this value whatever its status (revoked, expired), without its hash. */
  async tokenRecord(value: string): Promise<Token | null> {
    const row = await this.store.findTokenByHash(hashToken(value));
    if (!row) return null;
    const { tokenHash: _, ...token } = row;
    return token;
  }

  /** Every token, revoked and expired ones too, oldest first. */
  tokens(): Promise<Token[]> {
    return this.store.listTokens();
  }

  /**
   * Revokes a token: it answers 401 from now on, on every instance, and its MQTT service sessions
   * are closed (the 'registry.changed' removal does that). Revoking a revoked token changes
   * nothing. The last active whole-grid admin token that never expires cannot be revoked: the
   * service would be left with nobody to administer it (issue another one first).
   */
  async revokeToken(id: string): Promise<Token> {
    const outcome = await this.store.revokeToken(id, this.clock.now());
    if (!outcome) throw notFound('token', id);
    if (outcome.result === 'last_admin') {
      throw conflict(
        'this is the last whole-grid admin token that never expires: issue another one (POST /api/tokens) before revoking it',
        { tokenId: id },
      );
    }
    if (outcome.result === 'revoked') this.changed('token', id, true);
    return outcome.token;
  }

  /**
   * Writes a validated import in one transaction, then indexes it. The caller
   * (registry/csv/csvImport.ts) has checked every row and reference; the
   * database's constraints are the last line.
   */
  async importRecords(input: {
    grid?: CreateGridNode[];
    workers?: CreateWorker[];
    households?: CreateHousehold[];
    sensors?: CreateSensor[];
    quarantines?: CreateQuarantine[];
    windows?: CreateWindow[];
  }): Promise<{ count: number; secrets: Array<{ sensorId: string; secret: string }> }> {
    const now = this.clock.now();
    const grid = (input.grid ?? []).map((n) => newGridNode(n, now));
    const workers = (input.workers ?? []).map((w) => newWorker(w, now));
    const households = (input.households ?? []).map((h) => newHousehold(h, now));
    const secrets: Array<{ sensorId: string; secret: string }> = [];
    const sensors = await Promise.all(
      (input.sensors ?? []).map(async (x) => {
        const secret = newSecret();
        secrets.push({ sensorId: x.id, secret });
        return newSensorRow(x, now, await hashSecret(secret));
      }),
    );
    const quarantines = (input.quarantines ?? []).map((q) => newQuarantine(q, now));
    const windows = (input.windows ?? []).map((w) => newWindow(w, now));
    await this.store.importRecords({ grid, workers, households, sensors, quarantines, windows });
    for (const n of grid) this.tree.add(n);
    for (const w of workers) this.workers.set(w.id, w);
    for (const h of households) this.indexHousehold(h);
    for (const x of sensors) this.indexSensor(x);
    for (const q of quarantines) push(this.quarantinesByHousehold, q.householdId, q);
    for (const w of windows) this.indexWindow(w);
    const count =
      grid.length + workers.length + households.length + sensors.length + quarantines.length + windows.length;
    this.changed('import', String(count));
    return { count, secrets };
  }

  /**
   * Privacy: households whose last quarantine ended more than `retentionMs`
   * ago lose their address, contact and door history. The household, its
   * sensors and aggregates stay, so counts and reports still add up.
   */
  async purgeExpiredHouseholds(retentionMs: number): Promise<{ households: string[]; doorEvents: number }> {
    const now = this.clock.now();
    const due = [...this.households.values()].filter((h) => {
      if (h.purgedAt !== null) return false;
      const quarantines = this.quarantinesByHousehold.get(h.id) ?? [];
      if (quarantines.length === 0) return false;
      const ends = quarantines.map((q) => q.end);
      if (ends.some((end) => end === null || end > now - retentionMs)) return false;
      return true;
    });
    if (due.length === 0) return { households: [], doorEvents: 0 };
    const { doorEvents } = await this.store.purgeHouseholds(
      due.map((h) => h.id),
      now,
    );
    for (const h of due) {
      h.address = null;
      h.contact = null;
      h.purgedAt = now;
      this.changed('household', h.id);
    }
    return { households: due.map((h) => h.id), doorEvents };
  }

  async setCommissioning(sensorId: string, until: number | null): Promise<Sensor> {
    const s = this.sensors.get(sensorId);
    if (!s) throw notFound('sensor', sensorId);
    await this.store.setCommissioning(sensorId, until);
    s.commissioningUntil = until;
    this.changed('sensor', sensorId);
    return publicSensor(s);
  }

  private requireGrid(id: string): void {
    if (!this.tree.get(id)) throw notFound('grid node', id);
  }
  private requireHousehold(id: string): void {
    if (!this.households.has(id)) throw notFound('household', id);
  }

  private indexHousehold(h: Household): void {
    this.households.set(h.id, h);
    let set = this.householdsByGrid.get(h.gridId);
    if (!set) {
      set = new Set();
      this.householdsByGrid.set(h.gridId, set);
    }
    set.add(h.id);
  }

  private indexSensor(s: SensorRow): void {
    this.sensors.set(s.id, s);
    if (s.friendlyName !== null) this.byFriendlyName.set(s.friendlyName, s.id);
    let set = this.sensorsByHousehold.get(s.householdId);
    if (!set) {
      set = new Set();
      this.sensorsByHousehold.set(s.householdId, set);
    }
    set.add(s.id);
  }

  private indexWindow(w: Window): void {
    if (w.householdId !== null) push(this.windowsByHousehold, w.householdId, w);
    if (w.gridId !== null) push(this.windowsByGrid, w.gridId, w);
  }

  /** Grows with every write, so readers can cache what they derive from the registry. */
  get revision(): number {
    return this.writes;
  }

  private changed(entity: string, id: string, removed = false): void {
    this.writes++;
    this.bus.emit('registry.changed', removed ? { entity, id, removed } : { entity, id });
  }
}

function overlapConflict(q: Quarantine): Error {
  const span = `${new Date(q.start).toISOString()} – ${q.end === null ? 'open-ended' : new Date(q.end).toISOString()}`;
  return conflict(`household '${q.householdId}' already has quarantine '${q.id}' (${span}) at that time`, {
    quarantineId: q.id,
  });
}

export function publicSensor(s: SensorRow): Sensor {
  const { secretHash: _, ...sensor } = s;
  return sensor;
}

/** The fields a PATCH body gave (undefined means "leave as is"; null clears). */
function definedFields<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
