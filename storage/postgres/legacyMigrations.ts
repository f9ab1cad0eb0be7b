/**
 * FROZEN. PostgreSQL's hand-written schema history (1-4), kept only to bring a database made
 * before one schema source to version 4; step 100 of storage/schema/steps.ts then brings it to
 * storage/schema/definition.ts. A new database never runs these. Do not append here: a schema
 * change is a step in storage/schema/steps.ts.
 *
 * The versions were PostgreSQL's own (they did not follow the SQLite ones): 1 the schema
 * SqliteStore used, 2 the alert store's, 3 what only several instances need, 4 token expiry.
 */
import type { LegacyMigration } from '../schema/migrationPlan.ts';

export const LEGACY_MIGRATIONS: readonly LegacyMigration[] = [
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
  {
    version: 2,
    name: 'alerting: alerts, changes, outbox, nonces, facts, counters, pending breaches, announcements',
    // SQLite's migrations 4 and 6 in one step. JSON stays text: the purge matches it with LIKE.
    sql: `
      CREATE TABLE alerts (
        id text PRIMARY KEY,
        type text NOT NULL,
        subject_key text NOT NULL,
        sensor_id text,
        household_id text,
        grid_id text NOT NULL,
        severity text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        assignee text,
        opened_at bigint NOT NULL,
        acked_at bigint,
        acked_by text,
        resolved_at bigint,
        resolved_by text,
        outcome text,
        auto_resolve_reason text,
        note text,
        count integer NOT NULL,
        escalation_level integer NOT NULL,
        next_escalation_at bigint,
        detail text NOT NULL DEFAULT '{}'
      );
      -- One active instance per subject and type: the database refuses a second one.
      CREATE UNIQUE INDEX alerts_one_active ON alerts(type, subject_key) WHERE status <> 'resolved';
      CREATE INDEX alerts_opened ON alerts(opened_at DESC, id);
      CREATE INDEX alerts_grid ON alerts(grid_id);
      CREATE INDEX alerts_escalation ON alerts(next_escalation_at) WHERE next_escalation_at IS NOT NULL;
      -- Append-only history: nothing here is updated or deleted.
      CREATE TABLE alert_changes (
        seq bigserial PRIMARY KEY,
        alert_id text NOT NULL REFERENCES alerts(id),
        kind text NOT NULL,
        at bigint NOT NULL,
        actor text NOT NULL,
        detail text NOT NULL DEFAULT '{}'
      );
      CREATE INDEX alert_changes_alert ON alert_changes(alert_id, seq);
      CREATE TABLE outbox (
        id text PRIMARY KEY,
        alert_id text REFERENCES alerts(id),
        kind text NOT NULL,
        channel text NOT NULL,
        recipient_id text NOT NULL,
        notification text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'folded')),
        attempts integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        first_attempt_at bigint,
        next_attempt_at bigint,
        delivered_at bigint,
        last_error text,
        summary_id text
      );
      CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status IN ('pending', 'sending');
      CREATE INDEX outbox_alert ON outbox(alert_id);
      CREATE INDEX outbox_folded ON outbox(created_at) WHERE status = 'folded' AND summary_id IS NULL;
      CREATE TABLE ack_nonces (
        nonce text PRIMARY KEY,
        alert_id text NOT NULL,
        recipient_id text NOT NULL,
        used_at bigint NOT NULL
      );
      CREATE TABLE seal_alert_facts (
        sensor_id text PRIMARY KEY,
        low_battery_notified boolean NOT NULL DEFAULT false
      );
      CREATE TABLE open_counters (
        household_id text PRIMARY KEY,
        day_key text NOT NULL,
        count integer NOT NULL
      );
      CREATE TABLE pending_breaches (
        sensor_id text PRIMARY KEY,
        household_id text NOT NULL,
        opened_at bigint NOT NULL,
        due_at bigint NOT NULL
      );
      CREATE TABLE engine_state (
        key text PRIMARY KEY,
        value text NOT NULL
      );
      CREATE TABLE announcements (
        id text PRIMARY KEY,
        household_id text NOT NULL,
        start_at bigint NOT NULL,
        end_at bigint NOT NULL,
        reason text NOT NULL,
        by text NOT NULL,
        created_at bigint NOT NULL,
        CHECK (end_at > start_at)
      );
      CREATE INDEX announcements_household ON announcements(household_id, end_at);
      -- One-time links a household uses to announce an opening; only the hash is kept.
      CREATE TABLE announce_links (
        token_hash text PRIMARY KEY,
        household_id text NOT NULL,
        created_by text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint
      );
    `,
  },
  {
    version: 3,
    name: 'several instances: seal feed, alerting owner, broker sessions, shared secrets',
    sql: `
      -- Every instance's committed messages, one row per commit group (a JSON array), read in commit
      -- order by (xid, id): see sealFeed.ts.
      CREATE TABLE seal_feed (
        id bigserial PRIMARY KEY,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        instance text NOT NULL,
        events text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX seal_feed_order ON seal_feed (xid, id);

      -- Who holds the alerting lock, and where the others forward alerting calls.
      CREATE TABLE alerting_owner (
        id integer PRIMARY KEY CHECK (id = 1),
        instance text NOT NULL,
        url text NOT NULL,
        since bigint NOT NULL
      );

      -- External-broker sessions (MQTT client ids) of the instances; a session whose instance no
      -- longer holds its advisory lock is emptied by the alerting owner (consumerSessions.ts).
      CREATE TABLE mqtt_sessions (
        client_id text PRIMARY KEY,
        instance text NOT NULL,
        since bigint NOT NULL
      );

      -- Secrets every instance must share (the acknowledge-link key).
      CREATE TABLE shared_secrets (
        name text PRIMARY KEY,
        value text NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'tokens may expire',
    // Revocation already had its column (revoked_at); a token without expires_at never expires.
    sql: `
      ALTER TABLE tokens ADD COLUMN expires_at bigint;
    `,
  },
];
