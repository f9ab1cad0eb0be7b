import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SensorModel } from '../../registry/sensorModels.ts';
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
import type { Queryable } from './bulkInsert.ts';

/** A sensor model inserted or replaced, with its audit entry (the caller's transaction). */
export async function upsertSensorModelPostgres(
  db: Queryable,
  m: SensorModel,
  audit: AuditEntry,
): Promise<void> {
  await db.query(
    `INSERT INTO sensor_models (id, name, heartbeat_interval_ms, missed_heartbeats, low_battery_percent,
       heartbeat_carries_door, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, heartbeat_interval_ms = excluded.heartbeat_interval_ms,
       missed_heartbeats = excluded.missed_heartbeats, low_battery_percent = excluded.low_battery_percent,
       heartbeat_carries_door = excluded.heartbeat_carries_door, updated_at = excluded.updated_at`,
    [
      m.id,
      m.name,
      m.heartbeatIntervalMs,
      m.missedHeartbeats,
      m.lowBatteryPercent,
      m.heartbeatCarriesDoor,
      audit.at,
    ],
  );
  await db.query(INSERT_AUDIT_POSTGRES, auditValues(audit));
}
