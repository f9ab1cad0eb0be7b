import type { Clock } from '../core/clock.ts';
import type { EventBus } from '../core/eventBus.ts';
import type { ServiceEvents } from '../core/events.ts';
import type { ArmingInputs } from './arming.ts';
import type { Actor, AuditQuery, AuditRecord } from './auditTrail.ts';
import type { CommandContext } from './commands/commandContext.ts';
import { GatewayCommands } from './commands/gatewayCommands.ts';
import { GridCommands } from './commands/gridCommands.ts';
import { HouseholdCommands } from './commands/householdCommands.ts';
import { type ImportInput, importRecords } from './commands/importCommand.ts';
import { ModelCommands } from './commands/modelCommands.ts';
import { PlatformAppCommands } from './commands/platformAppCommands.ts';
import { PolicyCommands } from './commands/policyCommands.ts';
import { purgeExpiredHouseholds } from './commands/purgeCommand.ts';
import { QuarantineCommands } from './commands/quarantineCommands.ts';
import { RosterCommands } from './commands/rosterCommands.ts';
import { SecretHashCommands } from './commands/secretHashCommands.ts';
import { SensorCommands } from './commands/sensorCommands.ts';
import {
  type ActiveSession,
  SessionCommands,
  type SessionOwner,
  type SignIn,
} from './commands/sessionCommands.ts';
import { TokenCommands } from './commands/tokenCommands.ts';
import { UserCommands } from './commands/userCommands.ts';
import { WindowCommands } from './commands/windowCommands.ts';
import { WorkerCommands } from './commands/workerCommands.ts';
import type { Absence, CreateAbsence, CreateRoster, Roster } from './duty/dutySchemas.ts';
import type { GridTree } from './gridTree.ts';
import type { CreateModel, UpdateModel } from './modelSchemas.ts';
import type { CreatePlatformApp, PlatformApp, PlatformAppRow } from './platformAppSchemas.ts';
import type { GridPolicy, GridPolicyChange, PolicyOverrides, PolicyValues } from './policy/policyFields.ts';
import type { PolicySource } from './policy/policyIndex.ts';
import { RegistryChanges } from './registryChanges.ts';
import { RegistryIndex, type RegistrySnapshot } from './registryIndex.ts';
import type { RegistryStore } from './registryStore.ts';
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
  ReplaceSensor,
  Sensor,
  Token,
  UpdateGateway,
  UpdateGridNode,
  UpdateHousehold,
  UpdateSensor,
  UpdateWorker,
  Window,
  Worker,
} from './schemas.ts';
import { type GenericHeartbeat, offlineAfterMs, type SensorModel } from './sensorModels.ts';
import type { CreateUser, SessionLimits, UpdateUser, User } from './userSchemas.ts';

/**
 * Over 400 lines on purpose: it is the registry's one front door, a one-line delegation per command
 * and lookup (about 80); the work is in commands/ and registryIndex.ts.
 *
 * The registry service: the grid, people, households, sensors and their schedules, and the API
 * tokens. It is a small composition, and every public method is a one-line delegation:
 * - reads go to the index (registryIndex.ts), in memory, synchronous, for the hot paths
 *   (authentication, ingest, arming);
 * - writes go to one command module per entity (commands/*.ts), each given the index and the narrow
 *   store port it declares; a command writes to the store first, then to the index.
 * The method names are the ones the API, ingest, the broker hooks and alerting (through its
 * AlertingRegistry port) always called, so splitting the registry changed none of them.
 */
export class Registry {
  private readonly index: RegistryIndex;
  /** The grid hierarchy in memory, shared with alerting's routing and the API's scope checks. */
  readonly tree: GridTree;
  private readonly changes: RegistryChanges;
  private readonly ctx: CommandContext<RegistryStore>;
  private readonly grid: GridCommands;
  private readonly workers: WorkerCommands;
  private readonly households: HouseholdCommands;
  private readonly sensors: SensorCommands;
  private readonly models: ModelCommands;
  private readonly gateways: GatewayCommands;
  private readonly platformApps: PlatformAppCommands;
  private readonly secretHashes: SecretHashCommands;
  private readonly quarantines: QuarantineCommands;
  private readonly windows: WindowCommands;
  private readonly rosters: RosterCommands;
  private readonly apiTokens: TokenCommands;
  private readonly users: UserCommands;
  private readonly sessions: SessionCommands;
  private readonly policies: PolicyCommands;

  constructor(
    private readonly store: RegistryStore,
    bus: EventBus<ServiceEvents>,
    clock: Clock,
    options: {
      /** HEARTBEAT_INTERVAL and MISSED_HEARTBEATS, which the `generic` sensor model follows. */
      genericHeartbeat?: GenericHeartbeat;
      /** The root's policy (the environment's values); without it, the built-in defaults. */
      policyDefaults?: Readonly<PolicyValues>;
    } = {},
  ) {
    this.index = new RegistryIndex(options.genericHeartbeat);
    this.tree = this.index.tree;
    if (options.policyDefaults) this.index.policies.setDefaults(options.policyDefaults);
    this.changes = new RegistryChanges(bus);
    const ctx = { index: this.index, store, changes: this.changes, clock };
    this.ctx = ctx;
    this.grid = new GridCommands(ctx);
    this.workers = new WorkerCommands(ctx);
    this.households = new HouseholdCommands(ctx);
    this.sensors = new SensorCommands(ctx);
    this.models = new ModelCommands(ctx);
    this.gateways = new GatewayCommands(ctx);
    this.platformApps = new PlatformAppCommands(ctx);
    this.secretHashes = new SecretHashCommands(ctx);
    this.quarantines = new QuarantineCommands(ctx);
    this.windows = new WindowCommands(ctx);
    this.rosters = new RosterCommands(ctx);
    this.apiTokens = new TokenCommands(ctx);
    this.users = new UserCommands(ctx);
    this.sessions = new SessionCommands(ctx);
    this.policies = new PolicyCommands(ctx);
  }

  async load(): Promise<void> {
    this.index.fill(await this.store.loadRegistry());
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
      const writesBefore = this.changes.revision;
      snap = await this.store.loadRegistry();
      if (this.changes.revision === writesBefore || attempt === 10) break;
    }
    this.index.clear();
    this.index.fill(snap);
    this.changes.count();
  }

  /** Grows with every write, so readers can cache what they derive from the registry. */
  get revision(): number {
    return this.changes.revision;
  }

  // ---- reads (synchronous, from the index)

  gridNode(id: string): GridNode | undefined {
    return this.index.gridNode(id);
  }
  worker(id: string): Worker | undefined {
    return this.index.worker(id);
  }
  household(id: string): Household | undefined {
    return this.index.household(id);
  }
  sensor(id: string): Sensor | undefined {
    return this.index.sensor(id);
  }
  /** A sensor model (device profile) by id. */
  sensorModel(id: string): SensorModel | undefined {
    return this.index.sensorModel(id);
  }
  allModels(): SensorModel[] {
    return this.index.allModels();
  }
  modelIds(): string[] {
    return this.index.allModels().map((m) => m.id);
  }
  /** The model a sensor is judged by (generic for an id no longer known). O(1): hot paths call it. */
  modelOf(sensor: { model: string }): SensorModel {
    return this.index.modelOf(sensor);
  }
  /** The model of a registered sensor (for alerting's offline deadlines); undefined: no such sensor. */
  sensorModelOf(sensorId: string): SensorModel | undefined {
    const sensor = this.index.sensor(sensorId);
    return sensor && this.index.modelOf(sensor);
  }
  /** Silence after which this sensor is offline: its model's interval × missed heartbeats. */
  offlineAfterMs(sensor: { model: string }): number {
    return offlineAfterMs(this.index.modelOf(sensor));
  }
  /**
   * Below this battery percent the sensor is low, as alerting judges it: its model's threshold,
   * else the policy of the node it is at (`gridId`). The page and /metrics count by it too.
   */
  lowBatteryThreshold(sensor: { model: string }, gridId: string): number {
    return this.index.modelOf(sensor).lowBatteryPercent ?? this.index.policies.lowBatteryPercentAt(gridId);
  }
  /** Its model's low-battery threshold; null: the grid node's policy decides. */
  lowBatteryPercentOf(sensor: { model: string }): number | null {
    return this.index.modelOf(sensor).lowBatteryPercent;
  }
  sensorSecretHash(id: string): string | undefined {
    return this.index.sensorSecretHash(id);
  }
  sensorByFriendlyName(name: string): Sensor | undefined {
    return this.index.sensorByFriendlyName(name);
  }
  gateway(id: string): Gateway | undefined {
    return this.index.gateway(id);
  }
  gatewaySecretHash(id: string): string | undefined {
    return this.index.gatewaySecretHash(id);
  }
  /** The sensors of a subtree (null: the whole grid) with their household's node. */
  sensorsUnder(rootId: string | null): Generator<{ sensor: Sensor; gridId: string }> {
    return this.index.sensorsUnder(rootId);
  }
  get sensorCount(): number {
    return this.index.sensorCount;
  }
  allSensors(): Sensor[] {
    return this.index.allSensors();
  }
  /** Gateways without their secret hashes. */
  allGateways(): Gateway[] {
    return this.index.allGateways();
  }
  platformApp(id: string): PlatformApp | undefined {
    return this.index.platformApp(id);
  }
  /** Token included: only for checking a platform's push signature. */
  platformAppRow(id: string): PlatformAppRow | undefined {
    return this.index.platformAppRow(id);
  }
  /** Platform applications without their tokens. */
  allPlatformApps(): PlatformApp[] {
    return this.index.allPlatformApps();
  }
  allHouseholds(): Household[] {
    return this.index.allHouseholds();
  }
  allWorkers(): Worker[] {
    return this.index.allWorkers();
  }
  workersAt(gridId: string): Worker[] {
    return this.index.workersAt(gridId);
  }
  sensorsOf(householdId: string): Sensor[] {
    return this.index.sensorsOf(householdId);
  }
  /** The household and grid node a sensor belongs to, for tagging and routing. */
  placement(sensorId: string): ReturnType<RegistryIndex['placement']> {
    return this.index.placement(sensorId);
  }
  armingInputs(householdId: string): ArmingInputs {
    return this.index.armingInputs(householdId);
  }
  /** Same answer as `isArmed(armingInputs(id), at)`, without building the inputs. */
  isArmed(householdId: string, at: number): boolean {
    return this.index.isArmed(householdId, at);
  }
  inCommissioning(sensorId: string, at: number): boolean {
    return this.index.inCommissioning(sensorId, at);
  }
  /** The household's quarantine that shares time with [start, end) (end null: open-ended), if any. */
  overlappingQuarantine(
    householdId: string,
    start: number,
    end: number | null,
    exceptId?: string,
  ): Quarantine | undefined {
    return this.index.overlappingQuarantine(householdId, start, end, exceptId);
  }
  quarantine(id: string): Quarantine | undefined {
    return this.index.quarantine(id);
  }
  window(id: string): Window | undefined {
    return this.index.window(id);
  }
  roster(id: string): Roster | undefined {
    return this.index.duty.roster(id);
  }
  allRosters(): Roster[] {
    return this.index.duty.allRosters();
  }
  absence(id: string): Absence | undefined {
    return this.index.duty.absence(id);
  }
  allAbsences(): Absence[] {
    return this.index.duty.allAbsences();
  }
  /**
   * Who is on duty for the node at `at`: the workers of the nearest roster entries on the node's way
   * to the root whose span covers `at` (alerting's routing reads it); empty: nobody rostered.
   */
  onDutyAt(gridId: string, at: number): Worker[] {
    return this.rostersInForce(gridId, at).map((r) => this.index.worker(r.workerId) as Worker);
  }
  /** The roster entries `onDutyAt` answers from (each names a worker who exists). */
  rostersInForce(gridId: string, at: number): Roster[] {
    const known = (id: string) => this.index.worker(id) !== undefined;
    return this.index.duty.onDutyAt(this.tree.pathIds(gridId), at, known);
  }
  /** The worker who covers for `workerId` at `at` (one step: routing follows chains), if absent then. */
  substituteOf(workerId: string, at: number): Worker | undefined {
    const a = this.index.duty.absenceAt(workerId, at);
    return a ? this.index.worker(a.substituteId) : undefined;
  }
  /**
   * The policy fields set on a node's path (nearest first), without the root's defaults: what
   * alerting merges over its own. The same frozen object until a policy or the tree changes.
   */
  policyOverrides(gridId: string): Readonly<PolicyOverrides> {
    return this.index.policies.overridesAt(gridId);
  }
  /** The policy in force at a node and, per field, the node that sets it or `default`. */
  effectivePolicy(gridId: string): { effective: PolicyValues; source: PolicySource } {
    return this.index.policies.effective(gridId);
  }
  /** What a node sets itself, with who set it and when. */
  gridPolicy(gridId: string): GridPolicy | undefined {
    return this.index.policies.of(gridId);
  }
  allGridPolicies(): GridPolicy[] {
    return this.index.policies.all();
  }

  /** Device secret hashes, for an external broker's password file (whole-grid admins only). */
  deviceSecretHashes(): Generator<{ kind: 'sensor' | 'gateway'; id: string; hash: string }> {
    return this.index.deviceSecretHashes();
  }

  // ---- writes (commands/*.ts). Ids never change. A removal that would orphan records is refused
  // with what is still attached, so nothing disappears by accident: alert history keeps its ids as text.

  createGridNode(input: CreateGridNode, actor: Actor): Promise<GridNode> {
    return this.grid.create(input, actor);
  }
  updateGridNode(id: string, change: UpdateGridNode, actor: Actor): Promise<GridNode> {
    return this.grid.update(id, change, actor);
  }
  deleteGridNode(id: string, actor: Actor): Promise<GridNode> {
    return this.grid.delete(id, actor);
  }

  createWorker(input: CreateWorker, actor: Actor): Promise<Worker> {
    return this.workers.create(input, actor);
  }
  updateWorker(id: string, change: UpdateWorker, actor: Actor): Promise<Worker> {
    return this.workers.update(id, change, actor);
  }
  deleteWorker(id: string, actor: Actor): Promise<Worker> {
    return this.workers.delete(id, actor);
  }

  createHousehold(input: CreateHousehold, actor: Actor): Promise<Household> {
    return this.households.create(input, actor);
  }
  updateHousehold(id: string, change: UpdateHousehold, actor: Actor): Promise<Household> {
    return this.households.update(id, change, actor);
  }
  deleteHousehold(id: string, actor: Actor): Promise<{ household: Household; doorEvents: number }> {
    return this.households.delete(id, actor);
  }

  /** Returns the sensor and its device secret; the secret is kept only as a hash. */
  createSensor(input: CreateSensor, actor: Actor): Promise<{ sensor: Sensor; secret: string }> {
    return this.sensors.create(input, actor);
  }
  updateSensor(id: string, change: UpdateSensor, actor: Actor): Promise<Sensor> {
    return this.sensors.update(id, change, actor);
  }
  deleteSensor(id: string, actor: Actor): Promise<Sensor> {
    return this.sensors.delete(id, actor);
  }
  /** A new seal takes over a door (issue 16.5); the new secret is shown only in the answer. */
  replaceSensor(
    oldId: string,
    input: ReplaceSensor,
    actor: Actor,
  ): Promise<{ sensor: Sensor; secret: string; replaced: Sensor }> {
    return this.sensors.replace(oldId, input, actor);
  }
  setCommissioning(sensorId: string, until: number | null, actor: Actor): Promise<Sensor> {
    return this.sensors.setCommissioning(sensorId, until, actor);
  }

  createModel(input: CreateModel, actor: Actor): Promise<SensorModel> {
    return this.models.create(input, actor);
  }
  /** Reschedules the offline deadlines of the model's sensors (alerting hears `registry.changed`). */
  updateModel(id: string, change: UpdateModel, actor: Actor): Promise<SensorModel> {
    return this.models.update(id, change, actor);
  }
  /** Sets some fields of a node's policy; null removes one. `actor` is recorded with the time. */
  setGridPolicy(gridId: string, change: GridPolicyChange, actor: Actor): Promise<GridPolicy | null> {
    return this.policies.set(gridId, change, actor);
  }
  /** A checked CSV import of policies: each row becomes its node's whole policy, in one transaction. */
  importGridPolicies(
    rows: ReadonlyArray<{ gridId: string; fields: PolicyOverrides }>,
    actor: Actor,
  ): Promise<number> {
    return this.policies.replaceMany(rows, actor);
  }

  createGateway(input: CreateGateway, actor: Actor): Promise<{ gateway: Gateway; secret: string }> {
    return this.gateways.create(input, actor);
  }
  updateGateway(id: string, change: UpdateGateway, actor: Actor): Promise<Gateway> {
    return this.gateways.update(id, change, actor);
  }
  /** A new secret for the gateway: the old one is refused at once, its session closed. */
  replaceGatewaySecret(id: string, actor: Actor): Promise<{ gateway: Gateway; secret: string }> {
    return this.gateways.replaceSecret(id, actor);
  }
  deleteGateway(id: string, actor: Actor): Promise<Gateway> {
    return this.gateways.delete(id, actor);
  }
  /** The audit trail, newest first. */
  auditPage(query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }> {
    return this.store.auditPage(query);
  }
  createPlatformApp(input: CreatePlatformApp, actor: Actor): Promise<{ app: PlatformApp; token: string }> {
    return this.platformApps.create(input, actor);
  }
  deletePlatformApp(id: string, actor: Actor): Promise<PlatformApp> {
    return this.platformApps.remove(id, actor);
  }

  /** After `secret` matched a device's stored hash `verified`: stores it in today's format if older. */
  upgradeSecretHash(id: string, secret: string, verified: string): Promise<boolean> {
    return this.secretHashes.upgrade(id, secret, verified);
  }
  /** Until the hash upgrades submitted so far are stored. */
  flushSecretHashUpgrades(): Promise<void> {
    return this.secretHashes.flush();
  }

  createQuarantine(input: CreateQuarantine, actor: Actor): Promise<Quarantine> {
    return this.quarantines.create(input, actor);
  }
  endQuarantine(id: string, end: number, actor: Actor): Promise<Quarantine> {
    return this.quarantines.end(id, end, actor);
  }

  createWindow(input: CreateWindow, actor: Actor): Promise<Window> {
    return this.windows.create(input, actor);
  }
  cancelWindow(id: string, actor: Actor): Promise<Window> {
    return this.windows.cancel(id, actor);
  }

  createRoster(input: CreateRoster, actor: Actor): Promise<Roster> {
    return this.rosters.createRoster(input, actor);
  }
  deleteRoster(id: string, actor: Actor): Promise<Roster> {
    return this.rosters.deleteRoster(id, actor);
  }
  createAbsence(input: CreateAbsence, actor: Actor): Promise<Absence> {
    return this.rosters.createAbsence(input, actor);
  }
  deleteAbsence(id: string, actor: Actor): Promise<Absence> {
    return this.rosters.deleteAbsence(id, actor);
  }
  importDuty(input: { rosters?: CreateRoster[]; absences?: CreateAbsence[] }, actor: Actor): Promise<number> {
    return this.rosters.importDuty(input, actor);
  }

  /** Returns the token record and its value; the value is kept only as a hash. */
  createToken(input: CreateToken, actor: Actor, value?: string): Promise<{ token: Token; value: string }> {
    return this.apiTokens.create(input, actor, value);
  }
  /** The token a caller presents, if it may be used now (read from the store on every call). */
  findToken(value: string): Promise<Token | null> {
    return this.apiTokens.find(value);
  }
  /** The token with this value whatever its status (revoked, expired), without its hash. */
  tokenRecord(value: string): Promise<Token | null> {
    return this.apiTokens.record(value);
  }
  /** One token by id whatever its status, without its hash; null: no such token. */
  token(id: string): Promise<Token | null> {
    return this.apiTokens.byId(id);
  }
  /** Every token, revoked and expired ones too, oldest first. */
  tokens(): Promise<Token[]> {
    return this.apiTokens.list();
  }
  /** Revokes a token on every instance; the last never-expiring whole-grid admin token is refused. */
  revokeToken(id: string, actor: Actor): Promise<Token> {
    return this.apiTokens.revoke(id, actor);
  }

  createUser(input: CreateUser, actor: Actor): Promise<User> {
    return this.users.create(input, actor);
  }
  /** One user, disabled ones too; null: no such user. */
  user(id: string): Promise<User | null> {
    return this.users.byId(id);
  }
  /** Every user, oldest first; never a password hash. */
  allUsers(): Promise<User[]> {
    return this.users.list();
  }
  /** Role, scope, worker, password reset, disabling: the narrowing ones end the user's sessions. */
  updateUser(id: string, change: UpdateUser, actor: Actor): Promise<User> {
    return this.users.update(id, change, actor);
  }
  deleteUser(id: string, actor: Actor): Promise<User> {
    return this.users.delete(id, actor);
  }
  /** Signs a user out everywhere; how many sessions ended. */
  endUserSessions(id: string, actor: Actor): Promise<number> {
    return this.users.endSessions(id, actor);
  }
  /** Checks a password; on success a new session (its id goes into the cookie, only its hash is kept). */
  signIn(username: string, password: string, limits: SessionLimits): Promise<SignIn> {
    return this.sessions.signIn(username, password, limits);
  }
  /** The session behind a cookie's session id, while it is good (read from the store on every call). */
  session(sessionId: string, limits: SessionLimits): Promise<ActiveSession | null> {
    return this.sessions.find(sessionId, limits);
  }
  signOut(sessionId: string, user: SessionOwner): Promise<void> {
    return this.sessions.signOut(sessionId, user);
  }

  /** Writes a validated CSV import in one transaction (an audit entry per row), then indexes it. */
  importRecords(
    input: ImportInput,
    actor: Actor,
  ): Promise<{ count: number; secrets: Array<{ sensorId: string; secret: string }> }> {
    return importRecords(this.ctx, input, actor);
  }

  /**
   * Privacy: households whose last quarantine ended `retentionMs` ago lose their personal data, door
   * history and audit entries (deleted households' entries go after `retentionMs` too).
   */
  purgeExpiredHouseholds(
    retentionMs: number,
  ): Promise<{ households: string[]; doorEvents: number; auditEntries: number }> {
    return purgeExpiredHouseholds(this.ctx, retentionMs);
  }
}
