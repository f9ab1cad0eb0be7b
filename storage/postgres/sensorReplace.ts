import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SensorRow } from '../../registry/storedRecords.ts';
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
import { insertRows, type Queryable } from './bulkInsert.ts';

/**
 * A sensor replaced by another on the same door, inside the caller's transaction (registry
 * SensorStore's replaceSensor): see storage/sqlite/sensorReplace.ts for the order and why.
 */
export async function replaceSensorPostgres(
  db: Queryable,
  oldId: string,
  s: SensorRow,
  audit: readonly AuditEntry[],
): Promise<void> {
  // Locked first, as deleteSensor does: an ingest group committing the old sensor's state finishes
  // before, or waits and skips it (ingestCommit.ts).
  await db.query('SELECT 1 FROM sensors WHERE id = $1 FOR UPDATE', [oldId]);
  await db.query('UPDATE sensors SET friendly_name = NULL WHERE id = $1', [oldId]);
  await insertRows(db, 'sensors', [s]);
  await db.query('UPDATE gateway_sensors SET sensor_id = $1 WHERE sensor_id = $2', [s.id, oldId]);
  await db.query('DELETE FROM seal_state WHERE sensor_id = $1', [oldId]);
  await db.query('DELETE FROM sensors WHERE id = $1', [oldId]);
  for (const e of audit) {
    await db.query(INSERT_AUDIT_POSTGRES, auditValues(e));
  }
}
