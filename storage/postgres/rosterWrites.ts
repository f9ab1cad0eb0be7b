import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { Absence, Roster } from '../../registry/duty/dutySchemas.ts';
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
import { DUTY_TABLES, type DutyTable } from '../dutySql.ts';
import type { Queryable } from './bulkInsert.ts';

type InTransaction = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

/** Roster and absence writes on PostgreSQL: each with its audit entry, in one transaction. */
export class PostgresRosterWrites {
  constructor(private readonly tx: InTransaction) {}

  insertRoster(r: Roster, audit: AuditEntry): Promise<void> {
    return this.insert('rosters', DUTY_TABLES.rosters.values(r), audit);
  }
  insertAbsence(a: Absence, audit: AuditEntry): Promise<void> {
    return this.insert('absences', DUTY_TABLES.absences.values(a), audit);
  }

  importAll(records: { rosters: Roster[]; absences: Absence[] }, audit: AuditEntry[]): Promise<void> {
    return this.tx(async (db) => {
      for (const r of records.rosters) await insertRow(db, 'rosters', DUTY_TABLES.rosters.values(r));
      for (const a of records.absences) await insertRow(db, 'absences', DUTY_TABLES.absences.values(a));
      for (const e of audit) await appendAudit(db, e);
    });
  }

  delete(table: DutyTable, id: string, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      await appendAudit(db, audit);
    });
  }

  private insert(table: DutyTable, values: unknown[], audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await insertRow(db, table, values);
      await appendAudit(db, audit);
    });
  }
}

const insertRow = (db: Queryable, table: DutyTable, values: unknown[]) =>
  db.query(`INSERT INTO ${table} (${DUTY_TABLES[table].columns}) VALUES ($1, $2, $3, $4, $5, $6)`, values);

const appendAudit = (db: Queryable, e: AuditEntry) => db.query(INSERT_AUDIT_POSTGRES, auditValues(e));
