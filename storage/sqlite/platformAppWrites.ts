import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { PlatformAppRow } from '../../registry/platformAppSchemas.ts';
import { auditValues, INSERT_AUDIT_SQLITE } from '../auditSql.ts';
import type { Db } from './openDatabase.ts';

/** Platform application writes on SQLite: each with its audit entry, in one transaction. */
export class SqlitePlatformAppWrites {
  constructor(private readonly db: Db) {}

  insert(a: PlatformAppRow, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO platform_apps (id, platform, name, token, sensor_ids, devices, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          a.id,
          a.platform,
          a.name,
          a.token,
          JSON.stringify(a.sensorIds),
          JSON.stringify(a.devices),
          a.createdAt,
        );
      this.appendAudit(audit);
    })();
  }

  delete(id: string, audit: AuditEntry): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM platform_apps WHERE id = ?').run(id);
      this.appendAudit(audit);
    })();
  }

  private appendAudit(audit: AuditEntry): void {
    this.db.prepare(INSERT_AUDIT_SQLITE).run(...auditValues(audit));
  }
}
