import type { AuditEntry } from '../../registry/auditTrail.ts';
import {
  auditValues,
  INSERT_AUDIT_SQLITE,
  PURGE_AUDIT,
  PURGE_DELETED_HOUSEHOLDS_AUDIT,
} from '../auditSql.ts';
import type { Db } from './openDatabase.ts';

/** Appends audit entries; called inside the transaction of the change they record. */
export function appendAuditSqlite(db: Db, audit: AuditEntry | readonly AuditEntry[] | undefined): void {
  if (audit === undefined) return;
  const insert = db.prepare(INSERT_AUDIT_SQLITE);
  for (const e of Array.isArray(audit) ? audit : [audit as AuditEntry]) insert.run(...auditValues(e));
}

/**
 * The privacy purge's part of the trail, inside its transaction: the entries concerning the purged
 * households, and those of households deleted before `deletedBefore`. How many went.
 */
export function purgeAuditSqlite(db: Db, householdIds: readonly string[], deletedBefore: number): number {
  return (
    db.prepare(PURGE_AUDIT.sqlite).run(JSON.stringify(householdIds)).changes +
    db.prepare(PURGE_DELETED_HOUSEHOLDS_AUDIT.sqlite).run(deletedBefore).changes
  );
}
