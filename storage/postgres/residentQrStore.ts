import type { ResidentQrRecord, ResidentQrStore } from '../../alerting/residentQrStore.ts';
import type { AuditEntry } from '../../registry/auditTrail.ts';
import { auditValues, INSERT_AUDIT_COLUMNS } from '../auditSql.ts';
import { RESIDENT_QR_SQL, residentQrOf } from '../residentQrRows.ts';
import type { Row } from '../rows.ts';
import type { Queryable } from './bulkInsert.ts';

/**
 * The households' QR codes on PostgreSQL. A new code is one statement (data-modifying CTEs all run,
 * atomically): the old code revoked, the new one stored, the audit entry written; no transaction
 * to hold a pooled connection across round trips.
 */
export class PostgresResidentQrStore implements ResidentQrStore {
  constructor(private readonly pool: Queryable) {}

  async replaceResidentQr(code: Omit<ResidentQrRecord, 'revokedAt'>, audit: AuditEntry): Promise<void> {
    await this.pool.query(
      `WITH revoked AS (${RESIDENT_QR_SQL.revoke}),
            inserted AS (INSERT INTO resident_qr_codes (token_hash, household_id, created_by, created_at)
                         VALUES ($3, $2, $4, $1))
       INSERT INTO audit_log (${INSERT_AUDIT_COLUMNS}) VALUES ($5, $6, $7, $8, $9, $10, $11, $12)`,
      [code.createdAt, code.householdId, code.tokenHash, code.createdBy, ...auditValues(audit)],
    );
  }

  async residentQrByHash(tokenHash: string): Promise<ResidentQrRecord | undefined> {
    const r = (await this.pool.query<Row>(RESIDENT_QR_SQL.byHash, [tokenHash])).rows[0];
    return r ? residentQrOf(r) : undefined;
  }

  async residentQrOf(householdId: string): Promise<ResidentQrRecord | undefined> {
    const r = (await this.pool.query<Row>(RESIDENT_QR_SQL.inForce, [householdId])).rows[0];
    return r ? residentQrOf(r) : undefined;
  }

  async countAnnouncementsStarting(householdId: string, from: number, to: number): Promise<number> {
    const r = (await this.pool.query<Row>(RESIDENT_QR_SQL.countAnnouncements, [householdId, from, to]))
      .rows[0];
    return Number(r?.n ?? 0);
  }
}
