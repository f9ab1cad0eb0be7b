import type { AuditEntry, AuditQuery, AuditRecord } from '../../registry/auditTrail.ts';
import type { GatewayRow } from '../../registry/storedRecords.ts';
import {
  AUDIT_SELECT,
  auditFilter,
  auditRecord,
  auditValues,
  INSERT_AUDIT_SQLITE,
  SQLITE_SPELLING,
} from '../auditSql.ts';
import type { Row } from '../rows.ts';
import type { Db } from './openDatabase.ts';

/**
 * The gateway writes and the audit trail on SQLite. Each write and its audit entry are one
 * transaction (better-sqlite3 runs it synchronously: nothing else interleaves).
 */
export class SqliteGatewayWrites {
  constructor(private readonly db: Db) {}

  insert(g: GatewayRow, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO gateways (id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(g.id, g.name, g.secretHash, g.createdAt);
      this.insertMembers(g);
      this.appendAudit(audit);
    })();
  }

  update(g: GatewayRow, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE gateways SET name = ? WHERE id = ?').run(g.name, g.id);
      this.db.prepare('DELETE FROM gateway_sensors WHERE gateway_id = ?').run(g.id);
      this.insertMembers(g);
      this.appendAudit(audit);
    })();
  }

  setSecretHash(id: string, secretHash: string, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE gateways SET secret_hash = ? WHERE id = ?').run(secretHash, id);
      this.appendAudit(audit);
    })();
  }

  delete(id: string, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM gateway_sensors WHERE gateway_id = ?').run(id);
      this.db.prepare('DELETE FROM gateways WHERE id = ?').run(id);
      this.appendAudit(audit);
    })();
  }

  auditPage(q: AuditQuery): { items: AuditRecord[]; total: number } {
    const { where, values } = auditFilter(q, SQLITE_SPELLING);
    const total = (this.db.prepare(`SELECT count(*) AS n FROM audit_log ${where}`).get(...values) as Row).n;
    const rows = this.db
      .prepare(`${AUDIT_SELECT.sqlite} ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...values, q.limit, q.offset) as Row[];
    return { items: rows.map(auditRecord), total: Number(total) };
  }

  private insertMembers(g: GatewayRow): void {
    const member = this.db.prepare('INSERT INTO gateway_sensors (gateway_id, sensor_id) VALUES (?, ?)');
    for (const sensorId of g.sensorIds) member.run(g.id, sensorId);
  }

  private appendAudit(e: AuditEntry): void {
    this.db.prepare(INSERT_AUDIT_SQLITE).run(...auditValues(e));
  }
}
