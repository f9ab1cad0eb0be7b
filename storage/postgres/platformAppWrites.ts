import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { PlatformAppRow } from '../../registry/platformAppSchemas.ts';
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
import type { Queryable } from './bulkInsert.ts';

type InTransaction = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

const appendAudit = (db: Queryable, e: AuditEntry) => db.query(INSERT_AUDIT_POSTGRES, auditValues(e));

/** Platform application writes on PostgreSQL: each with its audit entry, in one transaction. */
export class PostgresPlatformAppWrites {
  constructor(private readonly tx: InTransaction) {}

  insert(a: PlatformAppRow, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query(
        `INSERT INTO platform_apps (id, platform, name, token, sensor_ids, devices, created_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
        [
          a.id,
          a.platform,
          a.name,
          a.token,
          JSON.stringify(a.sensorIds),
          JSON.stringify(a.devices),
          a.createdAt,
        ],
      );
      await appendAudit(db, audit);
    });
  }

  delete(id: string, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query('DELETE FROM platform_apps WHERE id = $1', [id]);
      await appendAudit(db, audit);
    });
  }
}
