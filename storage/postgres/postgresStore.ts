/*
 * Over 400 lines: one class implements every port the registry and ingest declare on PostgreSQL;
 * the larger groups of writes live in their own modules (gatewayWrites.ts, platformAppWrites.ts,
 * userWrites.ts, sensorReplace.ts) and are delegated to in one line each.
 */
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
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
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
import { appendAuditPostgres, purgeAuditPostgres } from './appendAudit.ts';
import { insertRows, type Queryable } from './bulkInsert.ts';
import { checkOut } from './checkOut.ts';
import { PostgresGatewayWrites } from './gatewayWrites.ts';
import { commitIngestGroup } from './ingestCommit.ts';
import { upsertSensorModelPostgres } from './modelWrites.ts';
import type { Pool } from './openPool.ts';
import { OwnFeedGroups } from './ownFeedGroups.ts';
import { PostgresPlatformAppWrites } from './platformAppWrites.ts';
import { PostgresRosterWrites } from './rosterWrites.ts';
import { replaceSensorPostgres } from './sensorReplace.ts';
import { PostgresUserWrites } from './userWrites.ts';

/** pg_advisory_xact_lock key that serializes grid moves across instances ('grid' in ASCII). */
const GRID_MOVE_LOCK = 0x67726964;

/**
 * The PostgreSQL store: the same ports as SqliteStore (registry/registryStore.ts,
 * ingest/ingestStore.ts), for several instances sharing one database. Multi-record writes run in
 * one transaction; groups of rows are written with one statement per table (bulkInsert.ts), and
 * an ingest group with one statement (ingestCommit.ts).
 */

export class PostgresStore implements RegistryStore, IngestStore, DoorHistoryStore {
  /** This instance's commit groups, kept while it owns alerting (ownFeedGroups.ts). */
  readonly ownFeedGroups = new OwnFeedGroups();

  /**
   * `instanceId`: several instances share this database; each ingest group is also appended to
   * the seal feed under this name (storage/postgres/sealFeed.ts). Without it, nothing is fed.
   */
  constructor(
    private readonly pool: Pool,
    private readonly instanceId: string | null = null,
  ) {
    this.gateways = new PostgresGatewayWrites(pool, (fn) => this.tx(fn));
    this.platformApps = new PostgresPlatformAppWrites((fn) => this.tx(fn));
    this.rosters = new PostgresRosterWrites((fn) => this.tx(fn));
    this.users = new PostgresUserWrites(pool, (fn) => this.tx(fn));
  }

  private readonly gateways: PostgresGatewayWrites;
  private readonly platformApps: PostgresPlatformAppWrites;
  private readonly rosters: PostgresRosterWrites;
  private readonly users: PostgresUserWrites;

  /** Runs `fn` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  private async tx<T>(fn: (client: Queryable) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const { client, release } = await checkOut(this.pool);
    let result: T;
    try {
      await client.query(begin);
      result = await fn(client);
      await client.query('COMMIT');
    } catch (err) {
      // A connection that cannot even roll back is not returned to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      release(broken);
      throw err;
    }
    release();
    return result;
  }

  /** `write` and its audit entries in one transaction; a write that throws leaves no entry. */
  private audited<T>(
    audit: AuditEntry | readonly AuditEntry[] | undefined,
    write: (db: Queryable) => Promise<T>,
  ): Promise<T> {
    return this.tx(async (db) => {
      const result = await write(db);
      await appendAuditPostgres(db, audit);
      return result;
    });
  }

  async loadRegistry(): Promise<RegistrySnapshot> {
    // One snapshot for all tables: another instance's writes land entirely before or after it.
    return this.tx(async (db) => {
      const all = async (sql: string) => (await db.query<Row>(sql)).rows;
      const members = new Map<string, string[]>();
      for (const r of await all('SELECT gateway_id, sensor_id FROM gateway_sensors')) {
        const list = members.get(r.gateway_id as string) ?? [];
        list.push(r.sensor_id as string);
        members.set(r.gateway_id as string, list);
      }
      // COLLATE "C": ids sort by bytes, as in SQLite, whatever the database's locale. Quarantines and
      // windows that start together come by id (SQLite leaves that order open: by insertion in practice).
      return {
        grid: (await all('SELECT * FROM grid_nodes ORDER BY created_at, id COLLATE "C"')).map(gridNode),
        workers: (await all('SELECT * FROM workers ORDER BY id COLLATE "C"')).map(worker),
        households: (await all('SELECT * FROM households ORDER BY id COLLATE "C"')).map(household),
        sensors: (await all('SELECT * FROM sensors ORDER BY id COLLATE "C"')).map(sensor),
        gateways: (await all('SELECT * FROM gateways ORDER BY id COLLATE "C"')).map((r) => ({
          id: r.id as string,
          name: r.name as string,
          secretHash: r.secret_hash as string,
          createdAt: r.created_at as number,
          sensorIds: members.get(r.id as string) ?? [],
        })),
        quarantines: (await all('SELECT * FROM quarantines ORDER BY start_at, id COLLATE "C"')).map(
          quarantine,
        ),
        windows: (await all('SELECT * FROM windows ORDER BY start_at, id COLLATE "C"')).map(window),
        policies: (await all('SELECT * FROM grid_policies ORDER BY grid_id COLLATE "C"')).map(gridPolicy),
        platformApps: (await all('SELECT * FROM platform_apps ORDER BY id COLLATE "C"')).map(platformAppRow),
        rosters: (await all('SELECT * FROM rosters ORDER BY start_at, id COLLATE "C"')).map(roster),
        absences: (await all('SELECT * FROM absences ORDER BY start_at, id COLLATE "C"')).map(absence),
        models: (await all('SELECT * FROM sensor_models ORDER BY id COLLATE "C"')).map(sensorModel),
      };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async writeGridPolicies(
    put: readonly GridPolicy[],
    removed: readonly string[],
    audit: readonly AuditEntry[],
  ): Promise<void> {
    await this.tx(async (db) => {
      if (put.length > 0)
        await db.query(
          `INSERT INTO grid_policies (grid_id, fields, updated_at, updated_by)
           SELECT * FROM unnest($1::text[], $2::jsonb[], $3::bigint[], $4::text[])
           ON CONFLICT (grid_id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by`,
          [
            put.map((p) => p.gridId),
            put.map((p) => JSON.stringify(p.fields)),
            put.map((p) => p.updatedAt),
            put.map((p) => p.updatedBy),
          ],
        );
      if (removed.length > 0)
        await db.query('DELETE FROM grid_policies WHERE grid_id = ANY($1::text[])', [removed]);
      for (const e of audit) await db.query(INSERT_AUDIT_POSTGRES, auditValues(e));
    });
  }

  async insertGridNode(n: GridNode, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => insertRows(db, 'grid', [n]));
  }

  async insertWorker(w: Worker, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => insertRows(db, 'workers', [w]));
  }

  async insertHousehold(h: Household, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => insertRows(db, 'households', [h]));
  }

  async insertSensor(s: SensorRow, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => insertRows(db, 'sensors', [s]));
  }

  insertGateway(g: GatewayRow, audit: AuditEntry): Promise<void> {
    return this.gateways.insert(g, audit);
  }
  updateGateway(g: GatewayRow, audit: AuditEntry): Promise<void> {
    return this.gateways.update(g, audit);
  }
  setGatewaySecretHash(id: string, secretHash: string, audit: AuditEntry): Promise<void> {
    return this.gateways.setSecretHash(id, secretHash, audit);
  }
  deleteGateway(id: string, audit: AuditEntry): Promise<void> {
    return this.gateways.delete(id, audit);
  }
  auditPage(query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }> {
    return this.gateways.auditPage(query);
  }

  insertRoster(r: Roster, audit: AuditEntry): Promise<void> {
    return this.rosters.insertRoster(r, audit);
  }
  deleteRoster(id: string, audit: AuditEntry): Promise<void> {
    return this.rosters.delete('rosters', id, audit);
  }
  insertAbsence(a: Absence, audit: AuditEntry): Promise<void> {
    return this.rosters.insertAbsence(a, audit);
  }
  deleteAbsence(id: string, audit: AuditEntry): Promise<void> {
    return this.rosters.delete('absences', id, audit);
  }
  importDuty(records: { rosters: Roster[]; absences: Absence[] }, audit: AuditEntry[]): Promise<void> {
    return this.rosters.importAll(records, audit);
  }

  insertPlatformApp(a: PlatformAppRow, audit: AuditEntry): Promise<void> {
    return this.platformApps.insert(a, audit);
  }
  deletePlatformApp(id: string, audit: AuditEntry): Promise<void> {
    return this.platformApps.delete(id, audit);
  }

  async insertQuarantine(q: Quarantine, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => insertRows(db, 'quarantines', [q]));
  }

  async insertWindow(w: Window, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => insertRows(db, 'windows', [w]));
  }

  async importRecords(records: ImportRecords, audit?: readonly AuditEntry[]): Promise<void> {
    await this.audited(audit, async (db) => {
      await insertRows(db, 'grid', records.grid);
      await insertRows(db, 'workers', records.workers);
      await insertRows(db, 'households', records.households);
      await insertRows(db, 'sensors', records.sensors);
      await insertRows(db, 'quarantines', records.quarantines);
      await insertRows(db, 'windows', records.windows);
    });
  }

  async setQuarantineEnd(id: string, end: number, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) =>
      db.query('UPDATE quarantines SET end_at = $1 WHERE id = $2', [end, id]),
    );
  }

  async deleteWindow(id: string, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => db.query('DELETE FROM windows WHERE id = $1', [id]));
  }

  async setCommissioning(sensorId: string, until: number | null, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) =>
      db.query('UPDATE sensors SET commissioning_until = $1 WHERE id = $2', [until, sensorId]),
    );
  }

  async updateGridNode(n: GridNode, audit?: AuditEntry): Promise<void> {
    if (n.parentId === null) {
      await this.audited(audit, (db) =>
        db.query('UPDATE grid_nodes SET name = $1, parent_id = NULL, level = $2 WHERE id = $3', [
          n.name,
          n.level,
          n.id,
        ]),
      );
      return;
    }
    const parentId = n.parentId;
    await this.audited(audit, async (db) => {
      // Moves wait for one another (a transaction-scoped lock), so two instances moving a under b
      // and b under a at once see each other's move and the second is refused.
      await db.query('SELECT pg_advisory_xact_lock($1)', [GRID_MOVE_LOCK]);
      const cycle = await db.query(
        `WITH RECURSIVE up(id, parent_id) AS (
           SELECT id, parent_id FROM grid_nodes WHERE id = $1
           UNION SELECT g.id, g.parent_id FROM grid_nodes g JOIN up ON g.id = up.parent_id)
         SELECT 1 FROM up WHERE id = $2`,
        [parentId, n.id],
      );
      if ((cycle.rowCount ?? 0) > 0) throw cycleRefusal(n.id, parentId);
      await db.query('UPDATE grid_nodes SET name = $1, parent_id = $2, level = $3 WHERE id = $4', [
        n.name,
        parentId,
        n.level,
        n.id,
      ]);
    });
  }

  async deleteGridNode(id: string, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => db.query('DELETE FROM grid_nodes WHERE id = $1', [id]));
  }

  async updateWorker(w: Worker, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) =>
      db.query(
        'UPDATE workers SET name = $1, grid_id = $2, role = $3, email = $4, phone = $5, webhook = $6, chat_user_id = $7 WHERE id = $8',
        [w.name, w.gridId, w.role, w.email, w.phone, w.webhook, w.chatUserId, w.id],
      ),
    );
  }

  async deleteWorker(id: string, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) => db.query('DELETE FROM workers WHERE id = $1', [id]));
  }

  async updateHousehold(h: Household, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) =>
      db.query('UPDATE households SET grid_id = $1, address = $2, contact = $3 WHERE id = $4', [
        h.gridId,
        h.address,
        h.contact,
        h.id,
      ]),
    );
  }

  async deleteHousehold(id: string, audit?: AuditEntry): Promise<{ doorEvents: number }> {
    return this.audited(audit, async (db) => {
      await db.query('DELETE FROM quarantines WHERE household_id = $1', [id]);
      await db.query('DELETE FROM windows WHERE household_id = $1', [id]);
      const doorEvents =
        (await db.query('DELETE FROM door_events WHERE household_id = $1', [id])).rowCount ?? 0;
      await db.query('DELETE FROM households WHERE id = $1', [id]);
      return { doorEvents };
    });
  }

  upsertSensorModel(m: SensorModel, audit: AuditEntry): Promise<void> {
    return this.tx((db) => upsertSensorModelPostgres(db, m, audit));
  }

  async updateSensor(x: SensorRow, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) =>
      db.query('UPDATE sensors SET model = $1, friendly_name = $2 WHERE id = $3', [
        x.model,
        x.friendlyName,
        x.id,
      ]),
    );
  }

  async upgradeSecretHashes(upgrades: readonly SecretHashUpgrade[]): Promise<SecretHashUpgrade[]> {
    if (upgrades.length === 0) return [];
    // One statement per table for a whole group of logins; compare and set per row.
    const update = async (db: Queryable, table: 'sensors' | 'gateways', kind: SecretHashUpgrade['kind']) => {
      const rows = upgrades.filter((u) => u.kind === kind);
      if (rows.length === 0) return [];
      const { rows: changed } = await db.query(
        `UPDATE ${table} AS t SET secret_hash = u.to_hash
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, from_hash, to_hash)
         WHERE t.id = u.id AND t.secret_hash = u.from_hash
         RETURNING t.id`,
        [rows.map((u) => u.id), rows.map((u) => u.from), rows.map((u) => u.to)],
      );
      const ids = new Set(changed.map((r) => r.id as string));
      return rows.filter((u) => ids.has(u.id));
    };
    return this.tx(async (db) => [
      ...(await update(db, 'sensors', 'sensor')),
      ...(await update(db, 'gateways', 'gateway')),
    ]);
  }

  async deleteSensor(id: string, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, async (db) => {
      // Locked first: an ingest group committing this sensor's state finishes before (its row is then
      // deleted here) or waits and skips the sensor (see ingestCommit.ts).
      await db.query('SELECT 1 FROM sensors WHERE id = $1 FOR UPDATE', [id]);
      await db.query('DELETE FROM gateway_sensors WHERE sensor_id = $1', [id]);
      await db.query('DELETE FROM seal_state WHERE sensor_id = $1', [id]);
      await db.query('DELETE FROM sensors WHERE id = $1', [id]);
    });
  }

  replaceSensor(oldId: string, next: SensorRow, audit: readonly AuditEntry[]): Promise<void> {
    return this.tx((db) => replaceSensorPostgres(db, oldId, next, audit));
  }

  async insertToken(t: TokenRow, audit?: AuditEntry): Promise<void> {
    await this.audited(audit, (db) =>
      db.query(
        'INSERT INTO tokens (id, name, role, grid_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [t.id, t.name, t.role, t.gridId, t.tokenHash, t.createdAt, t.expiresAt],
      ),
    );
  }

  async listTokens(): Promise<Token[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`,
    );
    return rows.map(tokenRecord);
  }

  async tokenById(id: string): Promise<Token | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, [id]);
    return rows[0] ? tokenRecord(rows[0]) : null;
  }

  async revokeToken(
    id: string,
    at: number,
    audit?: (before: Token, after: Token) => AuditEntry,
  ): Promise<TokenRevocation | null> {
    return this.tx(async (db) => {
      // The keepers are locked first, in one order, so concurrent revocations on other instances
      // queue here; a waiter re-reads them after the first commits and sees that one revoked.
      const keepers = (
        await db.query<{ id: string }>(
          `SELECT id FROM tokens WHERE ${KEEPER_ADMIN_TOKENS} ORDER BY id FOR UPDATE`,
        )
      ).rows;
      const row = (await db.query<Row>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1 FOR UPDATE`, [id]))
        .rows[0];
      if (!row) return null;
      const before = tokenRecord(row);
      if (before.revokedAt !== null) return { result: 'already_revoked', token: before };
      if (keepers.length === 1 && keepers[0]?.id === id) return { result: 'last_admin', token: before };
      await db.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2', [at, id]);
      const after = { ...before, revokedAt: at };
      await appendAuditPostgres(db, audit?.(before, after));
      return { result: 'revoked', token: after };
    });
  }

  async findTokenByHash(tokenHash: string): Promise<TokenRow | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM tokens WHERE token_hash = $1', [tokenHash]);
    return rows[0] ? token(rows[0]) : null;
  }

  async countTokens(role?: Role): Promise<number> {
    const { rows } = role
      ? await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM tokens WHERE role = $1', [role])
      : await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM tokens');
    return rows[0]?.n ?? 0;
  }

  // ---- people who sign in and their sessions (each write with its audit entry: storage/postgres/userWrites.ts)
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
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT count(*) AS n FROM tokens WHERE grid_id = $1',
      [gridId],
    );
    return rows[0]?.n ?? 0;
  }

  async loadSealStates(): Promise<SealState[]> {
    return (await this.pool.query<Row>('SELECT * FROM seal_state')).rows.map(sealState);
  }

  async commitIngest(commit: IngestCommit): Promise<boolean> {
    const feedId = await commitIngestGroup(this.pool, this.instanceId, commit);
    // Alerting reads the groups in the seal feed's commit order, not from here; while this instance
    // owns alerting, its own groups' messages are taken from memory when the feed reaches them.
    if (feedId !== null && commit.events) this.ownFeedGroups.remember(feedId, commit.events);
    return false;
  }

  doorHistory(sensorId: string, limit: number): Promise<DoorEventRecord[]> {
    return this.doorEventsBy('sensor_id', sensorId, limit);
  }

  householdDoorHistory(householdId: string, limit: number): Promise<DoorEventRecord[]> {
    return this.doorEventsBy('household_id', householdId, limit);
  }

  /** Newest first by device time, then by arrival. */
  private async doorEventsBy(
    column: 'sensor_id' | 'household_id',
    id: string,
    limit: number,
  ): Promise<DoorEventRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM door_events WHERE ${column} = $1 ORDER BY ts DESC, id DESC LIMIT $2`,
      [id, limit],
    );
    return rows.map(doorEvent);
  }

  async purgeHouseholds(
    householdIds: readonly string[],
    at: number,
    trail: { audit: readonly AuditEntry[]; deletedBefore: number },
  ): Promise<{ doorEvents: number; auditEntries: number }> {
    return this.tx(async (db) => {
      await db.query(
        'UPDATE households SET address = NULL, contact = NULL, purged_at = $1 WHERE id = ANY($2::text[])',
        [at, householdIds],
      );
      const forgotten = await db.query('DELETE FROM door_events WHERE household_id = ANY($1::text[])', [
        householdIds,
      ]);
      const auditEntries = await purgeAuditPostgres(db, householdIds, trail.deletedBefore);
      await appendAuditPostgres(db, trail.audit);
      return { doorEvents: forgotten.rowCount ?? 0, auditEntries };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
