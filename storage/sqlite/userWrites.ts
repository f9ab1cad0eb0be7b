import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SessionStore } from '../../registry/commands/sessionCommands.ts';
import type { UserStore } from '../../registry/commands/userCommands.ts';
import { type SessionRow, type User, type UserRow, usernameKey } from '../../registry/userSchemas.ts';
import { auditValues, INSERT_AUDIT_SQLITE } from '../auditSql.ts';
import type { Row } from '../rows.ts';
import { sessionRow, USER_COLUMNS, userRecord, userRow } from '../userRows.ts';
import type { Db } from './openDatabase.ts';

/**
 * Users and their sessions on SQLite. Each change and its audit entry are one transaction
 * (better-sqlite3 runs it synchronously: nothing else interleaves).
 */
export class SqliteUserWrites implements UserStore, SessionStore {
  constructor(private readonly db: Db) {}

  async insertUser(u: UserRow, audit: AuditEntry): Promise<boolean> {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare(
          `INSERT INTO users (id, username, username_key, password_hash, role, grid_id, worker_id, created_at, disabled_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username_key) DO NOTHING`,
        )
        .run(
          u.id,
          u.username,
          usernameKey(u.username),
          u.passwordHash,
          u.role,
          u.gridId,
          u.workerId,
          u.createdAt,
          u.disabledAt,
        );
      if (inserted.changes === 0) return false;
      this.appendAudit(audit);
      return true;
    })();
  }

  async userById(id: string): Promise<UserRow | null> {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r ? userRow(r) : null;
  }

  async userByUsername(key: string): Promise<UserRow | null> {
    const r = this.db.prepare('SELECT * FROM users WHERE username_key = ?').get(key) as Row | undefined;
    return r ? userRow(r) : null;
  }

  async listUsers(): Promise<User[]> {
    const rows = this.db.prepare(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id`).all() as Row[];
    return rows.map(userRecord);
  }

  async updateUser(u: UserRow, audit: AuditEntry, endSessions: boolean): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE users SET role = ?, grid_id = ?, worker_id = ?, password_hash = ?, disabled_at = ? WHERE id = ?',
        )
        .run(u.role, u.gridId, u.workerId, u.passwordHash, u.disabledAt, u.id);
      if (endSessions) this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(u.id);
      this.appendAudit(audit);
    })();
  }

  async deleteUser(id: string, audit: AuditEntry): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
      this.db.prepare('DELETE FROM users WHERE id = ?').run(id);
      this.appendAudit(audit);
    })();
  }

  async deleteUserSessions(userId: string, audit: AuditEntry): Promise<number> {
    return this.db.transaction(() => {
      const { changes } = this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
      this.appendAudit({ ...audit, after: { sessionsEnded: changes } });
      return changes;
    })();
  }

  async countUsersAt(gridId: string): Promise<number> {
    return Number(
      (this.db.prepare('SELECT count(*) AS n FROM users WHERE grid_id = ?').get(gridId) as Row).n,
    );
  }

  async insertSession(
    s: SessionRow,
    audit: AuditEntry,
    expired: { idleBefore: number; createdBefore: number },
  ): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?')
        .run(expired.idleBefore, expired.createdBefore);
      this.db
        .prepare(
          'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(s.idHash, s.userId, s.csrfToken, s.createdAt, s.lastSeenAt);
      this.appendAudit(audit);
    })();
  }

  async sessionByHash(idHash: string): Promise<SessionRow | null> {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as Row | undefined;
    return r ? sessionRow(r) : null;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(at, idHash);
  }

  async deleteSession(idHash: string, audit: AuditEntry | null): Promise<void> {
    this.db.transaction(() => {
      const { changes } = this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
      if (changes > 0 && audit) this.appendAudit(audit);
    })();
  }

  private appendAudit(e: AuditEntry): void {
    this.db.prepare(INSERT_AUDIT_SQLITE).run(...auditValues(e));
  }
}
