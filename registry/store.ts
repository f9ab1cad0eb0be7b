/**
 * The one persistence port. Every method is asynchronous so a PostgreSQL
 * store can replace the SQLite one for multi-node setups without touching
 * callers. Methods write exactly what they are given; validation and
 * referential checks with friendly errors happen in the registry service.
 */
import type { SealCommitted } from '../core/events.ts';
import type { DoorEventRecord, SealState } from '../core/sealState.ts';
import type {
  Gateway,
  GridNode,
  Household,
  Quarantine,
  Role,
  Sensor,
  Token,
  Window,
  Worker,
} from './schemas.ts';

export interface SensorRow extends Sensor {
  secretHash: string;
}
export interface GatewayRow extends Gateway {
  secretHash: string;
}
export interface TokenRow extends Token {
  tokenHash: string;
}

/** A device's secret hash replaced by the same secret's hash in a newer format, if it is still `from`. */
export interface SecretHashUpgrade {
  kind: 'sensor' | 'gateway';
  id: string;
  from: string;
  to: string;
}

export interface TokenRevocation {
  result: 'revoked' | 'already_revoked' | 'last_admin';
  /** The token after the call. */
  token: Token;
}

export interface RegistrySnapshot {
  grid: GridNode[];
  workers: Worker[];
  households: Household[];
  sensors: SensorRow[];
  gateways: GatewayRow[];
  quarantines: Quarantine[];
  windows: Window[];
}

/** Records of a CSV import, written in one transaction: all or nothing. */
export interface ImportRecords {
  grid?: GridNode[];
  workers?: Worker[];
  households?: Household[];
  sensors?: SensorRow[];
  quarantines?: Quarantine[];
  windows?: Window[];
}

export interface IngestCommit {
  states: SealState[];
  doorEvents: DoorEventRecord[];
  /**
   * The group's committed messages. A store shared by several instances writes them to its feed
   * in the same transaction, for the other instances' live state and the one alerting owner
   * (storage/postgres/sealFeed.ts); a single-instance store has nobody to tell and ignores them.
   */
  events?: readonly SealCommitted[];
  /**
   * Runs inside the commit's transaction, after its writes, where the store can (SQLite: one
   * synchronous connection, so what the callback writes joins the same transaction); a store that
   * cannot (PostgreSQL) leaves it to the caller, and `commitIngest` resolves false. Alerting decides there, so a crash can never leave a committed message that
   * alerting did not see: the message and its alert are one transaction.
   */
  insideTransaction?: () => void;
}

export interface Store {
  loadRegistry(): Promise<RegistrySnapshot>;
  insertGridNode(node: GridNode): Promise<void>;
  insertWorker(worker: Worker): Promise<void>;
  insertHousehold(household: Household): Promise<void>;
  insertSensor(sensor: SensorRow): Promise<void>;
  insertGateway(gateway: GatewayRow): Promise<void>;
  insertQuarantine(quarantine: Quarantine): Promise<void>;
  insertWindow(window: Window): Promise<void>;
  importRecords(records: ImportRecords): Promise<void>;
  setQuarantineEnd(id: string, end: number): Promise<void>;
  deleteWindow(id: string): Promise<void>;
  setCommissioning(sensorId: string, until: number | null): Promise<void>;

  /**
   * Updates replace the whole record (the registry merged the change); ids never change. A grid
   * node moved under itself or one of its descendants is refused by the store too (a validation
   * ServiceError), checked against what is stored, so two instances moving two nodes under each
   * other at once cannot make a cycle between them.
   */
  updateGridNode(node: GridNode): Promise<void>;
  /** Only an empty node is deleted: the registry has checked that nothing refers to it. */
  deleteGridNode(id: string): Promise<void>;
  updateWorker(worker: Worker): Promise<void>;
  deleteWorker(id: string): Promise<void>;
  updateHousehold(household: Household): Promise<void>;
  /** One transaction: the household (without sensors), its quarantines, windows and door history. */
  deleteHousehold(id: string): Promise<{ doorEvents: number }>;
  updateSensor(sensor: SensorRow): Promise<void>;
  /** One transaction: the sensor, its live state and gateway memberships. Door history stays. */
  deleteSensor(id: string): Promise<void>;
  /**
   * One transaction. Each row changes only while its hash is still `from` (compare and set): a secret
   * replaced meanwhile, here or by another instance, is never overwritten with the old secret's hash.
   * Returns the upgrades that were made.
   */
  upgradeSecretHashes(upgrades: readonly SecretHashUpgrade[]): Promise<SecretHashUpgrade[]>;

  insertToken(token: TokenRow): Promise<void>;
  findTokenByHash(tokenHash: string): Promise<TokenRow | null>;
  /** Every token, revoked and expired ones too, oldest first; never their hashes. */
  listTokens(): Promise<Token[]>;
  /**
   * Marks a token revoked at `at` (a revoked token stays revoked: its first time is kept). The last
   * active, never-expiring whole-grid admin token is not revoked ('last_admin'): checked in the same
   * transaction as the write, so two instances revoking the last two at once cannot both succeed.
   * null: no such token.
   */
  revokeToken(id: string, at: number): Promise<TokenRevocation | null>;
  countTokens(role?: Role): Promise<number>;
  /** Tokens (revoked ones too) scoped to a grid node. */
  countTokensAt(gridId: string): Promise<number>;

  loadSealStates(): Promise<SealState[]>;
  /** One transaction: the seal states and door events of a group of messages. */
  /** Resolves whether `insideTransaction` ran inside the transaction. */
  commitIngest(commit: IngestCommit): Promise<boolean>;
  doorHistory(sensorId: string, limit: number): Promise<DoorEventRecord[]>;
  /** Privacy: clears households' personal data and deletes their door history, in one transaction. */
  purgeHouseholds(householdIds: readonly string[], at: number): Promise<{ doorEvents: number }>;

  close(): Promise<void>;
}
