import type { ResidentQrRecord, ResidentQrStore } from '../../alerting/residentQrStore.ts';
import type { AuditEntry } from '../../registry/auditTrail.ts';
import { auditValues, INSERT_AUDIT_COLUMNS } from '../auditSql.ts';
import { sqliteParams } from '../reportRows.ts';
import { insertQrValues, RESIDENT_QR_SQL, residentQrOf } from '../residentQrRows.ts';
import type { Row } from '../rows.ts';
import type { Db } from './openDatabase.ts';

/** The households' QR codes on SQLite: a new code, the old one's revocation and the audit entry in one transaction. */
export class SqliteResidentQrStore implements ResidentQrStore {
  private readonly stmt;

  constructor(private readonly db: Db) {
    const q = (sql: string) => db.prepare(sqliteParams(sql));
    this.stmt = {
      revoke: q(RESIDENT_QR_SQL.revoke),
      insert: q(RESIDENT_QR_SQL.insert),
      byHash: q(RESIDENT_QR_SQL.byHash),
      inForce: q(RESIDENT_QR_SQL.inForce),
      count: q(RESIDENT_QR_SQL.countAnnouncements),
      audit: db.prepare(`INSERT INTO audit_log (${INSERT_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    };
  }

  async replaceResidentQr(code: Omit<ResidentQrRecord, 'revokedAt'>, audit: AuditEntry): Promise<void> {
    this.db.transaction(() => {
      this.stmt.revoke.run(code.createdAt, code.householdId);
      this.stmt.insert.run(...insertQrValues(code));
      this.stmt.audit.run(...auditValues(audit));
    })();
  }

  async residentQrByHash(tokenHash: string): Promise<ResidentQrRecord | undefined> {
    const r = this.stmt.byHash.get(tokenHash) as Row | undefined;
    return r ? residentQrOf(r) : undefined;
  }

  async residentQrOf(householdId: string): Promise<ResidentQrRecord | undefined> {
    const r = this.stmt.inForce.get(householdId) as Row | undefined;
    return r ? residentQrOf(r) : undefined;
  }

  async countAnnouncementsStarting(householdId: string, from: number, to: number): Promise<number> {
    return Number((this.stmt.count.get(householdId, from, to) as Row).n);
  }
}
