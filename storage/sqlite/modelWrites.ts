import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SensorModel } from '../../registry/sensorModels.ts';
import { auditValues, INSERT_AUDIT_SQLITE } from '../auditSql.ts';
import type { Db } from './openDatabase.ts';

/** A sensor model inserted or replaced, with its audit entry, in one transaction. */
export function upsertSensorModelSqlite(db: Db, m: SensorModel, audit: AuditEntry): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO sensor_models (id, name, heartbeat_interval_ms, missed_heartbeats, low_battery_percent,
         heartbeat_carries_door, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, heartbeat_interval_ms = excluded.heartbeat_interval_ms,
         missed_heartbeats = excluded.missed_heartbeats, low_battery_percent = excluded.low_battery_percent,
         heartbeat_carries_door = excluded.heartbeat_carries_door, updated_at = excluded.updated_at`,
    ).run(
      m.id,
      m.name,
      m.heartbeatIntervalMs,
      m.missedHeartbeats,
      m.lowBatteryPercent,
      m.heartbeatCarriesDoor ? 1 : 0,
      audit.at,
    );
    db.prepare(INSERT_AUDIT_SQLITE).run(...auditValues(audit));
  })();
}
