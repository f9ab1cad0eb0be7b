import type { AuditEntry, AuditQuery, AuditRecord } from '../../registry/auditTrail.ts';
import type { GatewayRow } from '../../registry/storedRecords.ts';
import {
  AUDIT_SELECT,
  auditFilter,
  auditRecord,
  auditValues,
  INSERT_AUDIT_POSTGRES,
  POSTGRES_SPELLING,
} from '../auditSql.ts';
import type { Row } from '../rows.ts';
import type { Queryable } from './bulkInsert.ts';

type InTransaction = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

const appendAudit = (db: Queryable, e: AuditEntry) => db.query(INSERT_AUDIT_POSTGRES, auditValues(e));

const insertMembers = (db: Queryable, g: GatewayRow) =>
  db.query('INSERT INTO gateway_sensors (gateway_id, sensor_id) SELECT $1::text, unnest($2::text[])', [
    g.id,
    g.sensorIds,
  ]);

/** The gateway writes and the audit trail on PostgreSQL: each write and its audit entry in one transaction. */
export class PostgresGatewayWrites {
  constructor(
    private readonly pool: Queryable,
    private readonly tx: InTransaction,
  ) {}

  insert(g: GatewayRow, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query('INSERT INTO gateways (id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)', [
        g.id,
        g.name,
        g.secretHash,
        g.createdAt,
      ]);
      await insertMembers(db, g);
      await appendAudit(db, audit);
    });
  }

  update(g: GatewayRow, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query('UPDATE gateways SET name = $2 WHERE id = $1', [g.id, g.name]);
      await db.query('DELETE FROM gateway_sensors WHERE gateway_id = $1', [g.id]);
      await insertMembers(db, g);
      await appendAudit(db, audit);
    });
  }

  setSecretHash(id: string, secretHash: string, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query('UPDATE gateways SET secret_hash = $2 WHERE id = $1', [id, secretHash]);
      await appendAudit(db, audit);
    });
  }

  delete(id: string, audit: AuditEntry): Promise<void> {
    return this.tx(async (db) => {
      await db.query('DELETE FROM gateway_sensors WHERE gateway_id = $1', [id]);
      await db.query('DELETE FROM gateways WHERE id = $1', [id]);
      await appendAudit(db, audit);
    });
  }

  async auditPage(q: AuditQuery): Promise<{ items: AuditRecord[]; total: number }> {
    const { where, values } = auditFilter(q, POSTGRES_SPELLING);
    const count = await this.pool.query(`SELECT count(*) AS n FROM audit_log ${where}`, values);
    const n = values.length;
    const rows = await this.pool.query(
      `${AUDIT_SELECT.postgres} ${where} ORDER BY seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...values, q.limit, q.offset],
    );
    return { items: (rows.rows as Row[]).map(auditRecord), total: Number((count.rows[0] as Row).n) };
  }
}
