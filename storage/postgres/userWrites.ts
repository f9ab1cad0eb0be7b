import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SessionStore } from '../../registry/commands/sessionCommands.ts';
import type { UserStore } from '../../registry/commands/userCommands.ts';
import { type SessionRow, type User, type UserRow, usernameKey } from '../../registry/userSchemas.ts';
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
import { sessionRow, USER_COLUMNS, userRecord, userRow } from '../userRows.ts';
import type { Queryable } from './bulkInsert.ts';

type InTransaction = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

const appendAudit = (db: Queryable, e: AuditEntry) => db.query(INSERT_AUDIT_POSTGRES, auditValues(e));

/** Users and their sessions on PostgreSQL: each change and its audit entry in one transaction. */
export class PostgresUserWrites implements UserStore, SessionStore {
  constructor(
    private readonly pool: Queryable,
    private readonly tx: InTransaction,
  ) {}

  insertUser(u: UserRow, audit: AuditEntry): Promise<boolean> {
    return this.tx(async (db) => {
      const inserted = await db.query(
        `INSERT INTO users (id, username, username_key, password_hash, role, grid_id, worker_id, created_at, disabled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username_key) DO NOTHING`,
        [
          u.id,
          u.username,
          usernameKey(u.username),
          u.passwordHash,
          u.role,
          u.gridId,
          u.workerId,
          u.createdAt,
          u.disabledAt,
        ],
      );
      if (inserted.rowCount === 0) return false;
      await appendAudit(db, audit);
      return true;
    });
  }

  async userById(id: string): Promise<UserRow | null> {
    const { rows } = await this.pool.query('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? userRow(rows[0]) : null;
  }

  async userByUsername(key: string): Promise<UserRow | null> {
    const { rows } = await this.pool.query('SELECT * FROM users WHERE username_key = $1', [key]);
    return rows[0] ? userRow(rows[0]) : null;
  }

  async listUsers(): Promise<User[]> {
    const { rows } = await this.pool.query(
      `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id COLLATE "C"`,
    );
    return rows.map(userRecord);
  }

  updateUser(u: UserRow, audit: AuditEntry, endSessions: boolean): Promise<void> {
    return this.tx(async (db) => {
      await db.query(
        'UPDATE users SET role = $1, grid_id = $2, worker_id = $3, password_hash = $4, disabled_at = $5 WHERE id = $6',
        [u.role, u.gridId, u.workerId, u.passwordHash, u.disabledAt, u.id],
      );
      if (endSessions) await db.query('DELETE FROM sessions WHERE user_id = $1', [u.id]);
      await appendAudit(db, audit);
    });
  }

  deleteUser(id: string, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query('DELETE FROM sessions WHERE user_id = $1', [id]);
      await db.query('DELETE FROM users WHERE id = $1', [id]);
      await appendAudit(db, audit);
    });
  }

  deleteUserSessions(userId: string, audit: AuditEntry): Promise<number> {
    return this.tx(async (db) => {
      const deleted = await db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
      const ended = deleted.rowCount ?? 0;
      await appendAudit(db, { ...audit, after: { sessionsEnded: ended } });
      return ended;
    });
  }

  async countUsersAt(gridId: string): Promise<number> {
    const { rows } = await this.pool.query('SELECT count(*) AS n FROM users WHERE grid_id = $1', [gridId]);
    return Number(rows[0]?.n ?? 0);
  }

  insertSession(
    s: SessionRow,
    audit: AuditEntry,
    expired: { idleBefore: number; createdBefore: number },
  ): Promise<void> {
    return this.tx(async (db) => {
      await db.query('DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2', [
        expired.idleBefore,
        expired.createdBefore,
      ]);
      await db.query(
        'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)',
        [s.idHash, s.userId, s.csrfToken, s.createdAt, s.lastSeenAt],
      );
      await appendAudit(db, audit);
    });
  }

  async sessionByHash(idHash: string): Promise<SessionRow | null> {
    const { rows } = await this.pool.query('SELECT * FROM sessions WHERE id_hash = $1', [idHash]);
    return rows[0] ? sessionRow(rows[0]) : null;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.pool.query('UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2', [at, idHash]);
  }

  deleteSession(idHash: string, audit: AuditEntry | null): Promise<void> {
    return this.tx(async (db) => {
      const deleted = await db.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
      if ((deleted.rowCount ?? 0) > 0 && audit) await appendAudit(db, audit);
    });
  }
}
