/**
 * FROZEN. SQLite's hand-written schema history (1-7), kept only to bring a file made before one
 * schema source to version 7; step 100 of storage/schema/steps.ts then brings it to
 * storage/schema/definition.ts. A new file never runs these. Do not append here: a schema change
 * is a step in storage/schema/steps.ts.
 */
import type { LegacyMigration } from '../schema/migrationPlan.ts';

export const LEGACY_MIGRATIONS: readonly LegacyMigration[] = [
  {
    version: 1,
    name: 'registry',
    sql: `
      CREATE TABLE grid_nodes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_id TEXT REFERENCES grid_nodes(id),
        level TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX grid_nodes_parent ON grid_nodes(parent_id);

      CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        grid_id TEXT NOT NULL REFERENCES grid_nodes(id),
        role TEXT NOT NULL CHECK (role IN ('worker', 'leader')),
        email TEXT,
        phone TEXT,
        webhook TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX workers_grid ON workers(grid_id);

      CREATE TABLE households (
        id TEXT PRIMARY KEY,
        grid_id TEXT NOT NULL REFERENCES grid_nodes(id),
        address TEXT,
        contact TEXT,
        created_at INTEGER NOT NULL,
        purged_at INTEGER
      );
      CREATE INDEX households_grid ON households(grid_id);

      CREATE TABLE sensors (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id),
        model TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        friendly_name TEXT UNIQUE,
        commissioning_until INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX sensors_household ON sensors(household_id);

      CREATE TABLE gateways (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE gateway_sensors (
        gateway_id TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
        sensor_id TEXT NOT NULL REFERENCES sensors(id),
        PRIMARY KEY (gateway_id, sensor_id)
      );

      CREATE TABLE quarantines (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households(id),
        start_at INTEGER NOT NULL,
        end_at INTEGER,
        created_at INTEGER NOT NULL,
        CHECK (end_at IS NULL OR end_at > start_at)
      );
      CREATE INDEX quarantines_household ON quarantines(household_id);

      CREATE TABLE windows (
        id TEXT PRIMARY KEY,
        grid_id TEXT REFERENCES grid_nodes(id),
        household_id TEXT REFERENCES households(id),
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        CHECK ((grid_id IS NULL) <> (household_id IS NULL)),
        CHECK (end_at > start_at)
      );
      CREATE INDEX windows_end ON windows(end_at);

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'monitor', 'worker', 'technician')),
        grid_id TEXT REFERENCES grid_nodes(id),
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
    `,
  },
  {
    version: 2,
    name: 'seal state and door history',
    sql: `
      CREATE TABLE seal_state (
        sensor_id TEXT PRIMARY KEY REFERENCES sensors(id),
        door TEXT NOT NULL CHECK (door IN ('open', 'closed', 'unknown')),
        online INTEGER NOT NULL,
        battery REAL,
        rssi REAL,
        tamper INTEGER NOT NULL DEFAULT 0,
        last_seen INTEGER,
        last_door_change INTEGER,
        recent_seqs TEXT NOT NULL DEFAULT '[]',
        messages INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE door_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sensor_id TEXT NOT NULL,
        household_id TEXT NOT NULL,
        type TEXT NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        seq INTEGER,
        dialect TEXT NOT NULL
      );
      CREATE INDEX door_events_sensor_ts ON door_events(sensor_id, ts);
      CREATE INDEX door_events_household ON door_events(household_id);
    `,
  },
  {
    version: 3,
    name: 'door observation time',
    sql: `
      ALTER TABLE seal_state ADD COLUMN door_observed_at INTEGER;
      UPDATE seal_state SET door_observed_at = last_door_change;
    `,
  },
  {
    version: 4,
    name: 'alerting: alerts, changes, outbox, nonces, facts, counters, pending breaches, announcements',
    sql: `
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        subject_key TEXT NOT NULL,
        sensor_id TEXT,
        household_id TEXT,
        grid_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        assignee TEXT,
        opened_at INTEGER NOT NULL,
        acked_at INTEGER,
        acked_by TEXT,
        resolved_at INTEGER,
        resolved_by TEXT,
        outcome TEXT,
        auto_resolve_reason TEXT,
        note TEXT,
        count INTEGER NOT NULL,
        escalation_level INTEGER NOT NULL,
        next_escalation_at INTEGER,
        detail TEXT NOT NULL DEFAULT '{}'
      );
      -- One active instance per subject and type: the database refuses a second one.
      CREATE UNIQUE INDEX alerts_one_active ON alerts(type, subject_key) WHERE status != 'resolved';
      CREATE INDEX alerts_opened ON alerts(opened_at);
      CREATE INDEX alerts_grid ON alerts(grid_id);
      CREATE INDEX alerts_escalation ON alerts(next_escalation_at) WHERE next_escalation_at IS NOT NULL;

      -- Append-only history: nothing here is updated or deleted.
      CREATE TABLE alert_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL REFERENCES alerts(id),
        kind TEXT NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX alert_changes_alert ON alert_changes(alert_id, seq);

      CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        alert_id TEXT REFERENCES alerts(id),
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        notification TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'folded')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        first_attempt_at INTEGER,
        next_attempt_at INTEGER,
        delivered_at INTEGER,
        last_error TEXT
      );
      CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status IN ('pending', 'sending');
      CREATE INDEX outbox_alert ON outbox(alert_id);

      CREATE TABLE ack_nonces (
        nonce TEXT PRIMARY KEY,
        alert_id TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        used_at INTEGER NOT NULL
      );

      CREATE TABLE seal_alert_facts (
        sensor_id TEXT PRIMARY KEY,
        low_battery_notified INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE open_counters (
        household_id TEXT PRIMARY KEY,
        day_key TEXT NOT NULL,
        count INTEGER NOT NULL
      );

      CREATE TABLE pending_breaches (
        sensor_id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL
      );

      CREATE TABLE engine_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE announcements (
        id TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        CHECK (end_at > start_at)
      );
      CREATE INDEX announcements_household ON announcements(household_id, end_at);

      -- One-time links a household uses to announce an opening; only the hash is kept.
      CREATE TABLE announce_links (
        token_hash TEXT PRIMARY KEY,
        household_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
    `,
  },
  {
    version: 5,
    name: 'technicians among workers',
    // SQLite cannot alter a CHECK constraint: rebuild the table. Nothing references workers(id).
    sql: `
      CREATE TABLE workers_v5 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        grid_id TEXT NOT NULL REFERENCES grid_nodes(id),
        role TEXT NOT NULL CHECK (role IN ('worker', 'leader', 'technician')),
        email TEXT,
        phone TEXT,
        webhook TEXT,
        created_at INTEGER NOT NULL
      );
      INSERT INTO workers_v5 (id, name, grid_id, role, email, phone, webhook, created_at)
        SELECT id, name, grid_id, role, email, phone, webhook, created_at FROM workers;
      DROP TABLE workers;
      ALTER TABLE workers_v5 RENAME TO workers;
      CREATE INDEX workers_grid ON workers(grid_id);
    `,
  },
  {
    version: 6,
    name: 'folded notifications remember their summary',
    // A folded row without a summary still waits for one: after a restart it is folded again.
    sql: `
      ALTER TABLE outbox ADD COLUMN summary_id TEXT;
      CREATE INDEX outbox_folded ON outbox(created_at) WHERE status = 'folded' AND summary_id IS NULL;
    `,
  },
  {
    version: 7,
    name: 'tokens may expire',
    // Revocation already had its column (revoked_at); a token without expires_at never expires.
    sql: `
      ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
    `,
  },
];
