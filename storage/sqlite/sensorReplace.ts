import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SensorRow } from '../../registry/storedRecords.ts';
import { auditValues, INSERT_AUDIT_SQLITE } from '../auditSql.ts';
import type { Db } from './openDatabase.ts';

/**
 * A sensor replaced by another on the same door, in one transaction (registry SensorStore's
 * replaceSensor): the old one's friendly name is freed first (names are unique), the new one is
 * inserted, gateway memberships move to it, the old one's live state and record go, and the
 * audit entries are written. Door history is the household's and is not touched.
 */
export function replaceSensorSqlite(db: Db, oldId: string, s: SensorRow, audit: readonly AuditEntry[]): void {
  db.transaction(() => {
    db.prepare('UPDATE sensors SET friendly_name = NULL WHERE id = ?').run(oldId);
    db.prepare(
      'INSERT INTO sensors (id, household_id, model, secret_hash, friendly_name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(s.id, s.householdId, s.model, s.secretHash, s.friendlyName, s.createdAt);
    db.prepare('UPDATE gateway_sensors SET sensor_id = ? WHERE sensor_id = ?').run(s.id, oldId);
    db.prepare('DELETE FROM seal_state WHERE sensor_id = ?').run(oldId);
    db.prepare('DELETE FROM sensors WHERE id = ?').run(oldId);
    const entry = db.prepare(INSERT_AUDIT_SQLITE);
    for (const e of audit) entry.run(...auditValues(e));
  })();
}
