import type { AuditEntry } from '../../registry/auditTrail.ts';
import {
  auditValues,
  INSERT_AUDIT_POSTGRES,
  PURGE_AUDIT,
  PURGE_DELETED_HOUSEHOLDS_AUDIT,
} from '../auditSql.ts';
import type { Queryable } from './bulkInsert.ts';

/** Appends audit entries; called inside the transaction of the change they record. */
export async function appendAuditPostgres(
  db: Queryable,
  audit: AuditEntry | readonly AuditEntry[] | undefined,
): Promise<void> {
  if (audit === undefined) return;
  for (const e of Array.isArray(audit) ? audit : [audit as AuditEntry])
    await db.query(INSERT_AUDIT_POSTGRES, auditValues(e));
}

/**
 * The privacy purge's part of the trail, inside its transaction: the entries concerning the purged
 * households, and those of households deleted before `deletedBefore`. How many went.
 */
export async function purgeAuditPostgres(
  db: Queryable,
  householdIds: readonly string[],
  deletedBefore: number,
): Promise<number> {
  const purged = await db.query(PURGE_AUDIT.postgres, [householdIds]);
  const deleted = await db.query(PURGE_DELETED_HOUSEHOLDS_AUDIT.postgres, [deletedBefore]);
  return (purged.rowCount ?? 0) + (deleted.rowCount ?? 0);
}
