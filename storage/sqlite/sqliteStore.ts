/*
 * Over 400 lines: one class implements every port the registry and ingest declare on SQLite; the
 * larger groups of writes live in their own modules (gatewayWrites.ts, platformAppWrites.ts,
 * userWrites.ts, sensorReplace.ts) and are delegated to in one line each.
 */
import type { Logger } from '../../core/logger.ts';
import type { DoorEventRecord, SealState } from '../../core/sealState.ts';
import type { DoorHistoryStore, IngestCommit, IngestStore } from '../../ingest/ingestStore.ts';
import type { AuditEntry, AuditQuery, AuditRecord } from '../../registry/auditTrail.ts';
import type { ImportRecords } from '../../registry/commands/importCommand.ts';
import type { SessionStore } from '../../registry/commands/sessionCommands.ts';
import type { TokenRevocation } from '../../registry/commands/tokenCommands.ts';
import type { UserStore } from '../../registry/commands/userCommands.ts';
import type { Absence, Roster } from '../../registry/duty/dutySchemas.ts';
import { cycleRefusal } from '../../registry/gridCycle.ts';
import type { PlatformAppRow } from '../../registry/platformAppSchemas.ts';
import type { GridPolicy } from '../../registry/policy/policyFields.ts';
import type { RegistrySnapshot } from '../../registry/registryIndex.ts';
import type { RegistryStore } from '../../registry/registryStore.ts';
import type { GridNode, Household, Quarantine, Role, Token, Window, Worker } from '../../registry/schemas.ts';
import type { SecretHashUpgrade } from '../../registry/secretHashUpgrades.ts';
import type { SensorModel } from '../../registry/sensorModels.ts';
import type { GatewayRow, SensorRow, TokenRow } from '../../registry/storedRecords.ts';
import { auditValues, INSERT_AUDIT_SQLITE } from '../auditSql.ts';
import { windowText } from '../dedupWindowText.ts';
import {
  absence,
  doorEvent,
  gridNode,
  gridPolicy,
  household,
  KEEPER_ADMIN_TOKENS,
  platformAppRow,
  quarantine,
  type Row,
  roster,
  sealState,
  sensor,
  sensorModel,
  TOKEN_COLUMNS,
  token,
  tokenRecord,
  window,
  worker,
} from '../rows.ts';
import { appendAuditSqlite, purgeAuditSqlite } from './appendAudit.ts';
import { SqliteGatewayWrites } from './gatewayWrites.ts';
import { upsertSensorModelSqlite } from './modelWrites.ts';
import type { Db } from './openDatabase.ts';
import { SqlitePlatformAppWrites } from './platformAppWrites.ts';
import { SqliteRosterWrites } from './rosterWrites.ts';
import { replaceSensorSqlite } from './sensorReplace.ts';
import { SqliteUserWrites } from './userWrites.ts';
import { type SlowWalSyncs, WalFlush } from './walFlush.ts';

/** `up`: the node `?` and its ancestors; UNION (not ALL) ends even on a cycle already stored. */
const ANCESTORS_SQLITE = `WITH RECURSIVE up(id, parent_id) AS (
  SELECT id, parent_id FROM grid_nodes WHERE id = ?
  UNION SELECT g.id, g.parent_id FROM grid_nodes g JOIN up ON g.id = up.parent_id)`;

/**
 * The SQLite store: the registry's and ingest's ports (registry/registryStore.ts,
 * ingest/ingestStore.ts) on one file. better-sqlite3 is synchronous and fast; the asynchronous
 * interface is kept so callers do not depend on that.
 */

export class SqliteStore implements RegistryStore, IngestStore, DoorHistoryStore {
  private readonly updateState;
  private readonly insertState;
  private readonly insertDoorEvent;
  private readonly commitTx;
  /** Ingest's commits synced off the event loop (walFlush.ts); null for a database in memory. */
  private readonly walFlush: WalFlush | null;
  private readonly gateways: SqliteGatewayWrites;
  private readonly platformApps: SqlitePlatformAppWrites;
  private readonly rosters: SqliteRosterWrites;
  private readonly users: SqliteUserWrites;

  /** `log` hears of slow WAL syncs (walFlush.ts). */
  constructor(
    private readonly db: Db,
    log?: Logger,
  ) {
    this.gateways = new SqliteGatewayWrites(db);
    this.platformApps = new SqlitePlatformAppWrites(db);
    this.rosters = new SqliteRosterWrites(db);
    this.users = new SqliteUserWrites(db);
    // Positional parameters, in this order in both statements: binding by name looked each one up in
    // an object per row (issue 20.1).
    this.updateState = db.prepare(
      `UPDATE seal_state SET door = ?, online = ?, battery = ?, rssi = ?, tamper = ?, last_seen = ?,
         last_door_change = ?, door_observed_at = ?, recent_seqs = ?, messages = ?, updated_at = ?
       WHERE sensor_id = ?`,
    );
    this.insertState = db.prepare(
      // The EXISTS guard: a sensor removed while its message was in flight leaves no state row behind
      // (and the foreign key does not fail the whole group).
      `INSERT INTO seal_state (door, online, battery, rssi, tamper, last_seen, last_door_change, door_observed_at, recent_seqs, messages, updated_at, sensor_id)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       WHERE EXISTS (SELECT 1 FROM sensors WHERE id = ?)`,
    );
    this.insertDoorEvent = db.prepare(
      `INSERT INTO door_events (sensor_id, household_id, type, ts, received_at, seq, dialect)
       VALUES (@sensorId, @householdId, @type, @ts, @receivedAt, @seq, @dialect)`,
    );
    this.commitTx = db.transaction((commit: IngestCommit) => {
      for (const s of commit.states) {
        const row = [
          s.door,
          s.online ? 1 : 0,
          s.battery,
          s.rssi,
          s.tamper ? 1 : 0,
          s.lastSeen,
          s.lastDoorChange,
          s.doorObservedAt,
          windowText(s.recentSeqs),
          s.messages,
          s.updatedAt,
          s.sensorId,
        ];
        // The row is there but for a seal's first message: an UPDATE is cheaper than an upsert,
        // which tries the insert first (issue 20.1). The insert's last parameter is the EXISTS guard's.
        if (this.updateState.run(row).changes === 0) this.insertState.run(row, s.sensorId);
      }
      for (const e of commit.doorEvents) this.insertDoorEvent.run(e);
      // Nested better-sqlite3 transactions become savepoints of this one.
      commit.insideTransaction?.();
    });
    this.walFlush = WalFlush.for(db, { log });
  }

  /** Ingest's WAL syncs on the event loop that were too slow; null for a database in memory. */
  slowWalSyncs(): Readonly<SlowWalSyncs> | null {
    return this.walFlush?.slowSyncs() ?? null;
  }

  /**
   * `write` and its audit entries in one transaction (better-sqlite3 runs it synchronously: nothing
   * interleaves); a write that throws leaves no entry.
   */
  private audited<T>(audit: AuditEntry | readonly AuditEntry[] | undefined, write: () => T): T {
    return this.db.transaction(() => {
      const result = write();
      appendAuditSqlite(this.db, audit);
      return result;
    })();
  }

  /** Synchronous inserts, shared by the single-record methods and by importRecords' one transaction. */
  private readonly put = {
    gridNode: (n: GridNode): void => {
      this.db
        .prepare('INSERT INTO grid_nodes (id, name, parent_id, level, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(n.id, n.name, n.parentId, n.level, n.createdAt);
    },
    worker: (w: Worker): void => {
      this.db
        .prepare(
          'INSERT INTO workers (id, name, grid_id, role, email, phone, webhook, created_at, chat_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(w.id, w.name, w.gridId, w.role, w.email, w.phone, w.webhook, w.createdAt, w.chatUserId);
    },
    household: (h: Household): void => {
      this.db
        .prepare('INSERT INTO households (id, grid_id, address, contact, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(h.id, h.gridId, h.address, h.contact, h.createdAt);
    },
    sensor: (s: SensorRow): void => {
      this.db
        .prepare(
          'INSERT INTO sensors (id, household_id, model, secret_hash, friendly_name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(s.id, s.householdId, s.model, s.secretHash, s.friendlyName, s.createdAt);
    },
    quarantine: (q: Quarantine): void => {
      this.db
        .prepare(
          'INSERT INTO quarantines (id, household_id, start_at, end_at, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(q.id, q.householdId, q.start, q.end, q.createdAt);
    },
    window: (w: Window): void => {
      this.db
        .prepare(
          'INSERT INTO windows (id, grid_id, household_id, start_at, end_at, reason, by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(w.id, w.gridId, w.householdId, w.start, w.end, w.reason, w.by, w.createdAt);
    },
  };

  async loadRegistry(): Promise<RegistrySnapshot> {
    const all = (sql: string) => this.db.prepare(sql).all() as Row[];
    const members = new Map<string, string[]>();
    for (const r of all('SELECT gateway_id, sensor_id FROM gateway_sensors')) {
      const list = members.get(r.gateway_id as string) ?? [];
      list.push(r.sensor_id as string);
      members.set(r.gateway_id as string, list);
    }
    return {
      grid: all('SELECT * FROM grid_nodes ORDER BY created_at, id').map(gridNode),
      workers: all('SELECT * FROM workers ORDER BY id').map(worker),
      households: all('SELECT * FROM households ORDER BY id').map(household),
      sensors: all('SELECT * FROM sensors ORDER BY id').map(sensor),
      gateways: all('SELECT * FROM gateways ORDER BY id').map((r) => ({
        id: r.id as string,
        name: r.name as string,
        secretHash: r.secret_hash as string,
        createdAt: r.created_at as number,
        sensorIds: members.get(r.id as string) ?? [],
      })),
      quarantines: all('SELECT * FROM quarantines ORDER BY start_at').map(quarantine),
      windows: all('SELECT * FROM windows ORDER BY start_at').map(window),
      policies: all('SELECT * FROM grid_policies ORDER BY grid_id').map(gridPolicy),
      platformApps: all('SELECT * FROM platform_apps ORDER BY id').map(platformAppRow),
      rosters: all('SELECT * FROM rosters ORDER BY start_at, id').map(roster),
      absences: all('SELECT * FROM absences ORDER BY start_at, id').map(absence),
      models: all('SELECT * FROM sensor_models ORDER BY id').map(sensorModel),
    };
  }

  async writeGridPolicies(
    put: readonly GridPolicy[],
    removed: readonly string[],
    audit: readonly AuditEntry[],
  ): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO grid_policies (grid_id, fields, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (grid_id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at,
         updated_by = excluded.updated_by`,
    );
    const remove = this.db.prepare('DELETE FROM grid_policies WHERE grid_id = ?');
    const entry = this.db.prepare(INSERT_AUDIT_SQLITE);
    this.db.transaction(() => {
      for (const p of put) upsert.run(p.gridId, JSON.stringify(p.fields), p.updatedAt, p.updatedBy);
      for (const id of removed) remove.run(id);
      for (const e of audit) entry.run(...auditValues(e));
    })();
  }

  async insertGridNode(n: GridNode, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.put.gridNode(n));
  }

  async insertWorker(w: Worker, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.put.worker(w));
  }

  async insertHousehold(h: Household, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.put.household(h));
  }

  async insertSensor(s: SensorRow, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.put.sensor(s));
  }

  async insertGateway(g: GatewayRow, audit: AuditEntry): Promise<void> {
    this.gateways.insert(g, audit);
  }
  async updateGateway(g: GatewayRow, audit: AuditEntry): Promise<void> {
    this.gateways.update(g, audit);
  }
  async setGatewaySecretHash(id: string, secretHash: string, audit: AuditEntry): Promise<void> {
    this.gateways.setSecretHash(id, secretHash, audit);
  }
  async deleteGateway(id: string, audit: AuditEntry): Promise<void> {
    this.gateways.delete(id, audit);
  }
  async auditPage(query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }> {
    return this.gateways.auditPage(query);
  }

  async insertRoster(r: Roster, audit: AuditEntry): Promise<void> {
    this.rosters.insertRoster(r, audit);
  }
  async deleteRoster(id: string, audit: AuditEntry): Promise<void> {
    this.rosters.delete('rosters', id, audit);
  }
  async insertAbsence(a: Absence, audit: AuditEntry): Promise<void> {
    this.rosters.insertAbsence(a, audit);
  }
  async deleteAbsence(id: string, audit: AuditEntry): Promise<void> {
    this.rosters.delete('absences', id, audit);
  }
  async importDuty(records: { rosters: Roster[]; absences: Absence[] }, audit: AuditEntry[]): Promise<void> {
    this.rosters.importAll(records, audit);
  }

  async insertPlatformApp(a: PlatformAppRow, audit: AuditEntry): Promise<void> {
    this.platformApps.insert(a, audit);
  }
  async deletePlatformApp(id: string, audit: AuditEntry): Promise<void> {
    this.platformApps.delete(id, audit);
  }

  async insertQuarantine(q: Quarantine, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.put.quarantine(q));
  }

  async insertWindow(w: Window, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.put.window(w));
  }

  async importRecords(records: ImportRecords, audit?: readonly AuditEntry[]): Promise<void> {
    this.audited(audit, () => {
      for (const n of records.grid ?? []) this.put.gridNode(n);
      for (const w of records.workers ?? []) this.put.worker(w);
      for (const h of records.households ?? []) this.put.household(h);
      for (const x of records.sensors ?? []) this.put.sensor(x);
      for (const q of records.quarantines ?? []) this.put.quarantine(q);
      for (const w of records.windows ?? []) this.put.window(w);
    });
  }

  async setQuarantineEnd(id: string, end: number, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.db.prepare('UPDATE quarantines SET end_at = ? WHERE id = ?').run(end, id));
  }

  async deleteWindow(id: string, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.db.prepare('DELETE FROM windows WHERE id = ?').run(id));
  }

  async setCommissioning(sensorId: string, until: number | null, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () =>
      this.db.prepare('UPDATE sensors SET commissioning_until = ? WHERE id = ?').run(until, sensorId),
    );
  }

  async updateGridNode(n: GridNode, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.moveGridNode(n));
  }

  private moveGridNode(n: GridNode): void {
    // One statement: SQLite has one writer, so nothing moves between the check and the update.
    const changed = this.db
      .prepare(
        `UPDATE grid_nodes SET name = ?, parent_id = ?, level = ? WHERE id = ?
         AND NOT EXISTS (${ANCESTORS_SQLITE} SELECT 1 FROM up WHERE id = ?)`,
      )
      .run(n.name, n.parentId, n.level, n.id, n.parentId, n.id);
    if (changed.changes === 0 && n.parentId !== null) {
      const exists = this.db.prepare('SELECT 1 FROM grid_nodes WHERE id = ?').get(n.id);
      if (exists) throw cycleRefusal(n.id, n.parentId);
    }
  }

  async deleteGridNode(id: string, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.db.prepare('DELETE FROM grid_nodes WHERE id = ?').run(id));
  }

  async updateWorker(w: Worker, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () =>
      this.db
        .prepare(
          'UPDATE workers SET name = ?, grid_id = ?, role = ?, email = ?, phone = ?, webhook = ?, chat_user_id = ? WHERE id = ?',
        )
        .run(w.name, w.gridId, w.role, w.email, w.phone, w.webhook, w.chatUserId, w.id),
    );
  }

  async deleteWorker(id: string, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => this.db.prepare('DELETE FROM workers WHERE id = ?').run(id));
  }

  async updateHousehold(h: Household, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () =>
      this.db
        .prepare('UPDATE households SET grid_id = ?, address = ?, contact = ? WHERE id = ?')
        .run(h.gridId, h.address, h.contact, h.id),
    );
  }

  async deleteHousehold(id: string, audit?: AuditEntry): Promise<{ doorEvents: number }> {
    return this.audited(audit, () => {
      this.db.prepare('DELETE FROM quarantines WHERE household_id = ?').run(id);
      this.db.prepare('DELETE FROM windows WHERE household_id = ?').run(id);
      const doorEvents = this.db.prepare('DELETE FROM door_events WHERE household_id = ?').run(id).changes;
      this.db.prepare('DELETE FROM households WHERE id = ?').run(id);
      return { doorEvents };
    });
  }

  async upsertSensorModel(m: SensorModel, audit: AuditEntry): Promise<void> {
    upsertSensorModelSqlite(this.db, m, audit);
  }

  async updateSensor(x: SensorRow, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () =>
      this.db
        .prepare('UPDATE sensors SET model = ?, friendly_name = ? WHERE id = ?')
        .run(x.model, x.friendlyName, x.id),
    );
  }

  async upgradeSecretHashes(upgrades: readonly SecretHashUpgrade[]): Promise<SecretHashUpgrade[]> {
    const sensors = this.db.prepare('UPDATE sensors SET secret_hash = ? WHERE id = ? AND secret_hash = ?');
    const gateways = this.db.prepare('UPDATE gateways SET secret_hash = ? WHERE id = ? AND secret_hash = ?');
    return this.db.transaction(() =>
      upgrades.filter((u) => (u.kind === 'sensor' ? sensors : gateways).run(u.to, u.id, u.from).changes > 0),
    )();
  }

  async deleteSensor(id: string, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () => {
      this.db.prepare('DELETE FROM gateway_sensors WHERE sensor_id = ?').run(id);
      this.db.prepare('DELETE FROM seal_state WHERE sensor_id = ?').run(id);
      this.db.prepare('DELETE FROM sensors WHERE id = ?').run(id);
    });
  }

  async replaceSensor(oldId: string, next: SensorRow, audit: readonly AuditEntry[]): Promise<void> {
    replaceSensorSqlite(this.db, oldId, next, audit);
  }

  async insertToken(t: TokenRow, audit?: AuditEntry): Promise<void> {
    this.audited(audit, () =>
      this.db
        .prepare(
          'INSERT INTO tokens (id, name, role, grid_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(t.id, t.name, t.role, t.gridId, t.tokenHash, t.createdAt, t.expiresAt),
    );
  }

  async listTokens(): Promise<Token[]> {
    return (
      this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`).all() as Row[]
    ).map(tokenRecord);
  }

  async tokenById(id: string): Promise<Token | null> {
    const r = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).get(id) as Row | undefined;
    return r ? tokenRecord(r) : null;
  }

  async revokeToken(
    id: string,
    at: number,
    audit?: (before: Token, after: Token) => AuditEntry,
  ): Promise<TokenRevocation | null> {
    // One SQLite transaction: nobody else writes between the count and the update.
    return this.db.transaction((): TokenRevocation | null => {
      const select = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`);
      const row = select.get(id) as Row | undefined;
      if (!row) return null;
      const before = tokenRecord(row);
      if (before.revokedAt !== null) return { result: 'already_revoked', token: before };
      const keepers = this.db.prepare(`SELECT id FROM tokens WHERE ${KEEPER_ADMIN_TOKENS}`).all() as Array<{
        id: string;
      }>;
      if (keepers.length === 1 && keepers[0]?.id === id) return { result: 'last_admin', token: before };
      this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id);
      const after = { ...before, revokedAt: at };
      appendAuditSqlite(this.db, audit?.(before, after));
      return { result: 'revoked', token: after };
    })();
  }

  async findTokenByHash(tokenHash: string): Promise<TokenRow | null> {
    const r = this.db.prepare('SELECT * FROM tokens WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return r ? token(r) : null;
  }

  async countTokens(role?: Role): Promise<number> {
    const r = role
      ? (this.db.prepare('SELECT count(*) AS n FROM tokens WHERE role = ?').get(role) as Row)
      : (this.db.prepare('SELECT count(*) AS n FROM tokens').get() as Row);
    return r.n as number;
  }

  // ---- people who sign in and their sessions (each write with its audit entry: storage/sqlite/userWrites.ts)
  insertUser: UserStore['insertUser'] = (u, audit) => this.users.insertUser(u, audit);
  userById: UserStore['userById'] = (id) => this.users.userById(id);
  userByUsername: UserStore['userByUsername'] = (key) => this.users.userByUsername(key);
  listUsers: UserStore['listUsers'] = () => this.users.listUsers();
  updateUser: UserStore['updateUser'] = (u, audit, end) => this.users.updateUser(u, audit, end);
  deleteUser: UserStore['deleteUser'] = (id, audit) => this.users.deleteUser(id, audit);
  deleteUserSessions: UserStore['deleteUserSessions'] = (id, audit) =>
    this.users.deleteUserSessions(id, audit);
  countUsersAt: UserStore['countUsersAt'] = (gridId) => this.users.countUsersAt(gridId);
  insertSession: SessionStore['insertSession'] = (s, audit, old) => this.users.insertSession(s, audit, old);
  sessionByHash: SessionStore['sessionByHash'] = (idHash) => this.users.sessionByHash(idHash);
  touchSession: SessionStore['touchSession'] = (idHash, at) => this.users.touchSession(idHash, at);
  deleteSession: SessionStore['deleteSession'] = (idHash, audit) => this.users.deleteSession(idHash, audit);

  async countTokensAt(gridId: string): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM tokens WHERE grid_id = ?').get(gridId) as Row)
      .n as number;
  }

  async loadSealStates(): Promise<SealState[]> {
    return (this.db.prepare('SELECT * FROM seal_state').all() as Row[]).map(sealState);
  }

  /** better-sqlite3 runs the transaction synchronously: applied (or thrown) before commitIngest returns. */
  readonly appliesIngestBeforeReturning = true;

  /** Not async: a transaction that fails throws here, so the pipeline never builds on a group that was rolled back. */
  commitIngest(commit: IngestCommit): Promise<boolean> {
    const decidedInside = commit.insideTransaction !== undefined;
    if (!this.walFlush) {
      this.commitTx(commit);
      return Promise.resolve(decidedInside);
    }
    return this.walFlush.commit(() => this.commitTx(commit), commit.light === true).then(() => decidedInside);
  }

  async doorHistory(sensorId: string, limit: number): Promise<DoorEventRecord[]> {
    return this.doorEventsBy('sensor_id', sensorId, limit);
  }

  async householdDoorHistory(householdId: string, limit: number): Promise<DoorEventRecord[]> {
    return this.doorEventsBy('household_id', householdId, limit);
  }

  /** Newest first by device time, then by arrival. */
  private doorEventsBy(column: 'sensor_id' | 'household_id', id: string, limit: number): DoorEventRecord[] {
    return (
      this.db
        .prepare(`SELECT * FROM door_events WHERE ${column} = ? ORDER BY ts DESC, id DESC LIMIT ?`)
        .all(id, limit) as Row[]
    ).map(doorEvent);
  }

  async purgeHouseholds(
    householdIds: readonly string[],
    at: number,
    trail: { audit: readonly AuditEntry[]; deletedBefore: number },
  ): Promise<{ doorEvents: number; auditEntries: number }> {
    const clear = this.db.prepare(
      'UPDATE households SET address = NULL, contact = NULL, purged_at = ? WHERE id = ?',
    );
    const forget = this.db.prepare('DELETE FROM door_events WHERE household_id = ?');
    let doorEvents = 0;
    let auditEntries = 0;
    this.db.transaction(() => {
      for (const id of householdIds) {
        clear.run(at, id);
        doorEvents += forget.run(id).changes;
      }
      auditEntries = purgeAuditSqlite(this.db, householdIds, trail.deletedBefore);
      appendAuditSqlite(this.db, trail.audit);
    })();
    return { doorEvents, auditEntries };
  }

  async close(): Promise<void> {
    this.walFlush?.close();
    this.db.close();
  }
}
