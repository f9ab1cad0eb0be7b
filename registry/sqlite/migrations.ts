/**
 * Versioned schema migrations, applied in order inside one transaction each.
 * Never edit a released migration: append a new one. Times are epoch ms.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
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
];
