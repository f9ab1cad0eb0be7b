/**
 * Versioned PostgreSQL schema migrations of the registry store, applied in
 * order by openPool.ts. Never edit a released migration: append a new one.
 *
 * The versions are PostgreSQL's own (they do not follow the SQLite ones): the
 * schema is the one SqliteStore uses, in one step, without the alerting tables
 * (the alert store is SQLite-only for now; its tables come in a later version).
 * Times are epoch ms in bigint columns; the pool parses int8 to number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'registry, seal state and door history',
    sql: `
      CREATE TABLE grid_nodes (
        id text PRIMARY KEY,
        name text NOT NULL,
        parent_id text REFERENCES grid_nodes(id),
        level text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX grid_nodes_parent ON grid_nodes(parent_id);

      CREATE TABLE workers (
        id text PRIMARY KEY,
        name text NOT NULL,
        grid_id text NOT NULL REFERENCES grid_nodes(id),
        role text NOT NULL CHECK (role IN ('worker', 'leader', 'technician')),
        email text,
        phone text,
        webhook text,
        created_at bigint NOT NULL
      );
      CREATE INDEX workers_grid ON workers(grid_id);

      CREATE TABLE households (
        id text PRIMARY KEY,
        grid_id text NOT NULL REFERENCES grid_nodes(id),
        address text,
        contact text,
        created_at bigint NOT NULL,
        purged_at bigint
      );
      CREATE INDEX households_grid ON households(grid_id);

      CREATE TABLE sensors (
        id text PRIMARY KEY,
        household_id text NOT NULL REFERENCES households(id),
        model text NOT NULL,
        secret_hash text NOT NULL,
        friendly_name text UNIQUE,
        commissioning_until bigint,
        created_at bigint NOT NULL
      );
      CREATE INDEX sensors_household ON sensors(household_id);

      CREATE TABLE gateways (
        id text PRIMARY KEY,
        name text NOT NULL,
        secret_hash text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE TABLE gateway_sensors (
        gateway_id text NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
        sensor_id text NOT NULL REFERENCES sensors(id),
        PRIMARY KEY (gateway_id, sensor_id)
      );
      CREATE INDEX gateway_sensors_sensor ON gateway_sensors(sensor_id);

      CREATE TABLE quarantines (
        id text PRIMARY KEY,
        household_id text NOT NULL REFERENCES households(id),
        start_at bigint NOT NULL,
        end_at bigint,
        created_at bigint NOT NULL,
        CHECK (end_at IS NULL OR end_at > start_at)
      );
      CREATE INDEX quarantines_household ON quarantines(household_id);

      CREATE TABLE windows (
        id text PRIMARY KEY,
        grid_id text REFERENCES grid_nodes(id),
        household_id text REFERENCES households(id),
        start_at bigint NOT NULL,
        end_at bigint NOT NULL,
        reason text NOT NULL,
        "by" text NOT NULL,
        created_at bigint NOT NULL,
        CHECK ((grid_id IS NULL) <> (household_id IS NULL)),
        CHECK (end_at > start_at)
      );
      CREATE INDEX windows_end ON windows(end_at);
      CREATE INDEX windows_household ON windows(household_id);

      CREATE TABLE tokens (
        id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'monitor', 'worker', 'technician')),
        grid_id text REFERENCES grid_nodes(id),
        token_hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
      CREATE INDEX tokens_grid ON tokens(grid_id);

      CREATE TABLE seal_state (
        sensor_id text PRIMARY KEY REFERENCES sensors(id),
        door text NOT NULL CHECK (door IN ('open', 'closed', 'unknown')),
        online boolean NOT NULL,
        battery double precision,
        rssi double precision,
        tamper boolean NOT NULL DEFAULT false,
        last_seen bigint,
        last_door_change bigint,
        door_observed_at bigint,
        recent_seqs jsonb NOT NULL DEFAULT '[]',
        messages bigint NOT NULL DEFAULT 0,
        updated_at bigint NOT NULL
      );

      -- No foreign keys: the history outlives a removed sensor and is deleted with its household.
      CREATE TABLE door_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sensor_id text NOT NULL,
        household_id text NOT NULL,
        type text NOT NULL,
        ts bigint NOT NULL,
        received_at bigint NOT NULL,
        seq bigint,
        dialect text NOT NULL
      );
      CREATE INDEX door_events_sensor_ts ON door_events(sensor_id, ts);
      CREATE INDEX door_events_household ON door_events(household_id);
    `,
  },
];
