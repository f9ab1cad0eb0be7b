import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { Absence, Roster } from '../../registry/duty/dutySchemas.ts';
import { auditValues, INSERT_AUDIT_SQLITE } from '../auditSql.ts';
import { DUTY_TABLES, type DutyTable } from '../dutySql.ts';
import type { Db } from './openDatabase.ts';

/** Roster and absence writes on SQLite: each with its audit entry, in one transaction. */
export class SqliteRosterWrites {
  constructor(private readonly db: Db) {}

  insertRoster(r: Roster, audit: AuditEntry): void {
    this.insert('rosters', DUTY_TABLES.rosters.values(r), audit);
  }
  insertAbsence(a: Absence, audit: AuditEntry): void {
    this.insert('absences', DUTY_TABLES.absences.values(a), audit);
  }

  importAll(records: { rosters: Roster[]; absences: Absence[] }, audit: AuditEntry[]): void {
    this.db.transaction(() => {
      for (const r of records.rosters) this.insertRow('rosters', DUTY_TABLES.rosters.values(r));
      for (const a of records.absences) this.insertRow('absences', DUTY_TABLES.absences.values(a));
      for (const e of audit) this.appendAudit(e);
    })();
  }

  delete(table: DutyTable, id: string, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id);
      this.appendAudit(audit);
    })();
  }

  private insert(table: DutyTable, values: unknown[], audit: AuditEntry): void {
    this.db.transaction(() => {
      this.insertRow(table, values);
      this.appendAudit(audit);
    })();
  }

  private insertRow(table: DutyTable, values: unknown[]): void {
    this.db
      .prepare(`INSERT INTO ${table} (${DUTY_TABLES[table].columns}) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(...values);
  }

  private appendAudit(audit: AuditEntry): void {
    this.db.prepare(INSERT_AUDIT_SQLITE).run(...auditValues(audit));
  }
}
