/**
 * Over 400 lines on purpose: the whole schema in one list is the point of this file.
 *
 * THE schema of SealWatch's database, for SQLite and PostgreSQL alike: a new database of either
 * kind is created from this list (renderDdl.ts writes each dialect's DDL), and an existing one is
 * brought here by the steps in steps.ts. Times are epoch ms in `integer` columns.
 *
 * To add a column or a table:
 *   1. Add it here (a column to its table; a table after the tables it references, with its
 *      indexes).
 *   2. Append a step to STEPS in steps.ts that makes the same change on an existing database
 *      (addColumn / createTable / createIndex ..., written out in the step, not imported from
 *      here: a step must keep doing what it did when this file changes again).
 *   3. Run test/integration/store/schema.test.ts: it upgrades databases made by older code and
 *      fails unless the result equals this definition in both dialects.
 * Changing a column or a table's checks is the same, with an alterColumn or setChecks step.
 * Nothing else: no dialect's SQL is written by hand.
 *
 * (Over 400 lines on purpose: the whole schema in one file is the point of this file.)
 */
import {
  boolean,
  desc,
  integer,
  json,
  real,
  references,
  serial,
  type Table,
  text,
  timestamp,
  transactionId,
} from './schemaTypes.ts';

const createdAt = integer('created_at');

const REGISTRY: Table[] = [
  {
    name: 'grid_nodes',
    columns: [
      text('id'),
      text('name'),
      text('parent_id', { nullable: true, references: references('grid_nodes') }),
      text('level'),
      createdAt,
    ],
    primaryKey: ['id'],
    indexes: [{ name: 'grid_nodes_parent', table: 'grid_nodes', columns: ['parent_id'] }],
  },
  {
    name: 'workers',
    columns: [
      text('id'),
      text('name'),
      text('grid_id', { references: references('grid_nodes') }),
      text('role'),
      text('email', { nullable: true }),
      text('phone', { nullable: true }),
      text('webhook', { nullable: true }),
      createdAt,
      text('chat_user_id', { nullable: true }),
    ],
    primaryKey: ['id'],
    checks: ["role IN ('worker', 'leader', 'technician')"],
    indexes: [{ name: 'workers_grid', table: 'workers', columns: ['grid_id'] }],
  },
  {
    name: 'households',
    columns: [
      text('id'),
      text('grid_id', { references: references('grid_nodes') }),
      text('address', { nullable: true }),
      text('contact', { nullable: true }),
      createdAt,
      integer('purged_at', { nullable: true }),
    ],
    primaryKey: ['id'],
    indexes: [{ name: 'households_grid', table: 'households', columns: ['grid_id'] }],
  },
  {
    // Device profiles an admin added or edited; the shipped ones live in registry/sensorModels.ts.
    name: 'sensor_models',
    columns: [
      text('id'),
      text('name'),
      integer('heartbeat_interval_ms'),
      real('missed_heartbeats'),
      integer('low_battery_percent', { nullable: true }),
      boolean('heartbeat_carries_door'),
      integer('updated_at'),
    ],
    primaryKey: ['id'],
  },
  {
    name: 'sensors',
    columns: [
      text('id'),
      text('household_id', { references: references('households') }),
      text('model', { default: 'generic' }),
      text('secret_hash'),
      text('friendly_name', { nullable: true }),
      integer('commissioning_until', { nullable: true }),
      createdAt,
    ],
    primaryKey: ['id'],
    unique: [['friendly_name']],
    indexes: [{ name: 'sensors_household', table: 'sensors', columns: ['household_id'] }],
  },
  {
    name: 'gateways',
    columns: [text('id'), text('name'), text('secret_hash'), createdAt],
    primaryKey: ['id'],
  },
  {
    name: 'gateway_sensors',
    columns: [
      text('gateway_id', { references: references('gateways', { onDelete: 'cascade' }) }),
      text('sensor_id', { references: references('sensors') }),
    ],
    primaryKey: ['gateway_id', 'sensor_id'],
    indexes: [{ name: 'gateway_sensors_sensor', table: 'gateway_sensors', columns: ['sensor_id'] }],
  },
  {
    // Carrier platform applications (registry/platformAppSchemas.ts). The token is kept as issued:
    // the platforms sign with it, so it cannot be a one-way hash. The sensor list and the device
    // map are JSON: read whole at load, written whole, never queried by member.
    name: 'platform_apps',
    columns: [
      text('id'),
      text('platform'),
      text('name'),
      text('token'),
      json('sensor_ids', { default: '[]' }),
      json('devices', { default: '{}' }),
      createdAt,
    ],
    primaryKey: ['id'],
    checks: ["platform IN ('ctwing', 'onenet')"],
  },
  {
    name: 'quarantines',
    columns: [
      text('id'),
      text('household_id', { references: references('households') }),
      integer('start_at'),
      integer('end_at', { nullable: true }),
      createdAt,
    ],
    primaryKey: ['id'],
    checks: ['end_at IS NULL OR end_at > start_at'],
    indexes: [{ name: 'quarantines_household', table: 'quarantines', columns: ['household_id'] }],
  },
  {
    name: 'windows',
    columns: [
      text('id'),
      text('grid_id', { nullable: true, references: references('grid_nodes') }),
      text('household_id', { nullable: true, references: references('households') }),
      integer('start_at'),
      integer('end_at'),
      text('reason'),
      text('by'),
      createdAt,
    ],
    primaryKey: ['id'],
    // A window covers a grid node or a household, never both.
    checks: ['(grid_id IS NULL) <> (household_id IS NULL)', 'end_at > start_at'],
    indexes: [
      { name: 'windows_end', table: 'windows', columns: ['end_at'] },
      { name: 'windows_household', table: 'windows', columns: ['household_id'] },
    ],
  },
  {
    // Duty rosters (registry/duty/dutySchemas.ts): a worker on duty for a node's subtree in
    // [start_at, end_at). No foreign keys: deleting a worker or a node keeps the record of who was
    // on duty, and routing skips entries that name someone no longer there.
    name: 'rosters',
    columns: [
      text('id'),
      text('grid_id'),
      text('worker_id'),
      integer('start_at'),
      integer('end_at'),
      createdAt,
    ],
    primaryKey: ['id'],
    checks: ['end_at > start_at'],
    indexes: [{ name: 'rosters_grid', table: 'rosters', columns: ['grid_id'] }],
  },
  {
    // Absences: the worker is away in [start_at, end_at) and substitute_id covers (no foreign keys,
    // as rosters).
    name: 'absences',
    columns: [
      text('id'),
      text('worker_id'),
      text('substitute_id'),
      integer('start_at'),
      integer('end_at'),
      createdAt,
    ],
    primaryKey: ['id'],
    checks: ['end_at > start_at', 'substitute_id <> worker_id'],
    indexes: [{ name: 'absences_worker', table: 'absences', columns: ['worker_id'] }],
  },
  {
    name: 'tokens',
    columns: [
      text('id'),
      text('name'),
      text('role'),
      text('grid_id', { nullable: true, references: references('grid_nodes') }),
      text('token_hash'),
      createdAt,
      integer('revoked_at', { nullable: true }),
      // A token without expires_at never expires.
      integer('expires_at', { nullable: true }),
    ],
    primaryKey: ['id'],
    unique: [['token_hash']],
    checks: ["role IN ('admin', 'monitor', 'worker', 'technician')"],
    indexes: [{ name: 'tokens_grid', table: 'tokens', columns: ['grid_id'] }],
  },
  {
    // People who sign in (registry/userSchemas.ts). username_key is the name as compared
    // (case-insensitive, usernameKey); worker_id has no reference: removing a worker must not
    // depend on whether someone signs in as them (the link is then simply unknown).
    name: 'users',
    columns: [
      text('id'),
      text('username'),
      text('username_key'),
      text('password_hash'),
      text('role'),
      text('grid_id', { nullable: true, references: references('grid_nodes') }),
      text('worker_id', { nullable: true }),
      createdAt,
      integer('disabled_at', { nullable: true }),
    ],
    primaryKey: ['id'],
    unique: [['username_key']],
    checks: ["role IN ('admin', 'monitor', 'worker', 'technician')"],
    indexes: [{ name: 'users_grid', table: 'users', columns: ['grid_id'] }],
  },
  {
    // Signed-in browsers: only the hash of the session id is kept (the id is in the cookie).
    name: 'sessions',
    columns: [
      text('id_hash'),
      text('user_id', { references: references('users') }),
      text('csrf_token'),
      createdAt,
      integer('last_seen_at'),
    ],
    primaryKey: ['id_hash'],
    indexes: [{ name: 'sessions_user', table: 'sessions', columns: ['user_id'] }],
  },
  {
    // Who changed what, when: one row per change made through the API (registry/auditTrail.ts).
    // before/after are the entity's public view (never a secret or its hash), null when absent.
    // grid_id: the node whose subtree holds what changed (no reference: the node may go later).
    // household_id: the household the entry concerns, whose privacy purge deletes it (no reference).
    name: 'audit_log',
    columns: [
      serial('seq'),
      integer('at'),
      text('actor'),
      text('entity'),
      text('entity_id'),
      text('action'),
      text('grid_id', { nullable: true }),
      json('before', { nullable: true }),
      json('after', { nullable: true }),
      text('household_id', { nullable: true }),
    ],
    primaryKey: ['seq'],
    indexes: [
      { name: 'audit_log_entity', table: 'audit_log', columns: ['entity', 'entity_id', 'seq'] },
      { name: 'audit_log_at', table: 'audit_log', columns: ['at'] },
      { name: 'audit_log_household', table: 'audit_log', columns: ['household_id'] },
      // The trail of one person or token (GET /api/audit?actor=): the page and its count.
      { name: 'audit_log_actor', table: 'audit_log', columns: ['actor', 'seq'] },
    ],
  },
  {
    // The policy a grid node sets for its subtree (registry/policy): only the fields it sets, as a
    // JSON object (durations in ms); who set it last and when. Goes with its node.
    name: 'grid_policies',
    columns: [
      text('grid_id', { references: references('grid_nodes', { onDelete: 'cascade' }) }),
      json('fields'),
      integer('updated_at'),
      text('updated_by'),
    ],
    primaryKey: ['grid_id'],
  },
];

const SEAL_STATE: Table[] = [
  {
    name: 'seal_state',
    columns: [
      text('sensor_id', { references: references('sensors') }),
      text('door'),
      boolean('online'),
      real('battery', { nullable: true }),
      real('rssi', { nullable: true }),
      boolean('tamper', { default: false }),
      integer('last_seen', { nullable: true }),
      integer('last_door_change', { nullable: true }),
      integer('door_observed_at', { nullable: true }),
      json('recent_seqs', { default: '[]' }),
      integer('messages', { default: 0 }),
      integer('updated_at'),
    ],
    primaryKey: ['sensor_id'],
    checks: ["door IN ('open', 'closed', 'unknown')"],
  },
  {
    // No foreign keys: the history outlives a removed sensor and is deleted with its household.
    name: 'door_events',
    columns: [
      serial('id'),
      text('sensor_id'),
      text('household_id'),
      text('type'),
      integer('ts'),
      integer('received_at'),
      integer('seq', { nullable: true }),
      text('dialect'),
    ],
    primaryKey: ['id'],
    indexes: [
      { name: 'door_events_sensor_ts', table: 'door_events', columns: ['sensor_id', 'ts'] },
      { name: 'door_events_household', table: 'door_events', columns: ['household_id'] },
    ],
  },
];

// JSON in alerting's tables stays text: the purge matches it with LIKE.
const ALERTING: Table[] = [
  {
    name: 'alerts',
    columns: [
      text('id'),
      text('type'),
      text('subject_key'),
      text('sensor_id', { nullable: true }),
      text('household_id', { nullable: true }),
      text('grid_id'),
      text('severity'),
      text('status'),
      text('assignee', { nullable: true }),
      integer('opened_at'),
      integer('acked_at', { nullable: true }),
      text('acked_by', { nullable: true }),
      integer('resolved_at', { nullable: true }),
      text('resolved_by', { nullable: true }),
      text('outcome', { nullable: true }),
      text('auto_resolve_reason', { nullable: true }),
      text('note', { nullable: true }),
      integer('count'),
      integer('escalation_level'),
      integer('next_escalation_at', { nullable: true }),
      text('detail', { default: '{}' }),
    ],
    primaryKey: ['id'],
    checks: ["status IN ('open', 'acknowledged', 'resolved')"],
    indexes: [
      // One active instance per subject and type: the database refuses a second one.
      {
        name: 'alerts_one_active',
        table: 'alerts',
        columns: ['type', 'subject_key'],
        unique: true,
        where: "status <> 'resolved'",
      },
      // The alert list's order (newest first).
      { name: 'alerts_opened', table: 'alerts', columns: [desc('opened_at'), 'id'] },
      { name: 'alerts_grid', table: 'alerts', columns: ['grid_id'] },
      // A household's timeline (GET /api/households/:id/timeline), newest first.
      { name: 'alerts_household', table: 'alerts', columns: ['household_id', desc('opened_at')] },
      // A sensor's alerts (GET /api/alerts?sensorId=), newest first.
      { name: 'alerts_sensor', table: 'alerts', columns: ['sensor_id', desc('opened_at')] },
      // The history by status (GET /api/alerts?status=resolved), newest first, and its count.
      { name: 'alerts_status', table: 'alerts', columns: ['status', desc('opened_at')] },
      {
        name: 'alerts_escalation',
        table: 'alerts',
        columns: ['next_escalation_at'],
        where: 'next_escalation_at IS NOT NULL',
      },
    ],
  },
  {
    // Append-only history: nothing here is updated or deleted.
    name: 'alert_changes',
    columns: [
      serial('seq'),
      text('alert_id', { references: references('alerts') }),
      text('kind'),
      integer('at'),
      text('actor'),
      text('detail', { default: '{}' }),
    ],
    primaryKey: ['seq'],
    indexes: [{ name: 'alert_changes_alert', table: 'alert_changes', columns: ['alert_id', 'seq'] }],
  },
  {
    name: 'outbox',
    columns: [
      text('id'),
      text('alert_id', { nullable: true, references: references('alerts') }),
      text('kind'),
      text('channel'),
      text('recipient_id'),
      text('notification'),
      text('status'),
      integer('attempts', { default: 0 }),
      createdAt,
      integer('first_attempt_at', { nullable: true }),
      integer('next_attempt_at', { nullable: true }),
      integer('delivered_at', { nullable: true }),
      text('last_error', { nullable: true }),
      // A folded row without a summary still waits for one: after a restart it is folded again.
      text('summary_id', { nullable: true }),
      // SMS: what the gateway's delivery receipts said (delivered / failed / pending), and when.
      text('receipt', { nullable: true }),
      text('receipt_detail', { nullable: true }),
      integer('receipt_at', { nullable: true }),
    ],
    primaryKey: ['id'],
    checks: ["status IN ('pending', 'sending', 'delivered', 'failed', 'folded')"],
    indexes: [
      {
        name: 'outbox_due',
        table: 'outbox',
        columns: ['next_attempt_at'],
        where: "status IN ('pending', 'sending')",
      },
      { name: 'outbox_alert', table: 'outbox', columns: ['alert_id'] },
      // The queue's queries (due, next due, requeue) and the metrics' counts by status, which SQLite does
      // not match to outbox_due (storage/sqlite/alertStore.ts OUTBOX_QUEUE_SQL); and the folded rows
      // not yet summarised, read at each start in their order. One index for both: beside a partial
      // index of the folded rows, SQLite's planner took the one by status alone for them and read
      // every folded row ever kept (migration 116).
      { name: 'outbox_status', table: 'outbox', columns: ['status', 'summary_id', 'created_at'] },
    ],
  },
  {
    name: 'ack_nonces',
    columns: [text('nonce'), text('alert_id'), text('recipient_id'), integer('used_at')],
    primaryKey: ['nonce'],
  },
  {
    name: 'seal_alert_facts',
    columns: [text('sensor_id'), boolean('low_battery_notified', { default: false })],
    primaryKey: ['sensor_id'],
  },
  {
    name: 'open_counters',
    columns: [text('household_id'), text('day_key'), integer('count')],
    primaryKey: ['household_id'],
  },
  {
    name: 'pending_breaches',
    columns: [text('sensor_id'), text('household_id'), integer('opened_at'), integer('due_at')],
    primaryKey: ['sensor_id'],
  },
  {
    name: 'engine_state',
    columns: [text('key'), text('value')],
    primaryKey: ['key'],
  },
  {
    name: 'announcements',
    columns: [
      text('id'),
      text('household_id'),
      integer('start_at'),
      integer('end_at'),
      text('reason'),
      text('by'),
      createdAt,
    ],
    primaryKey: ['id'],
    checks: ['end_at > start_at'],
    indexes: [
      { name: 'announcements_household', table: 'announcements', columns: ['household_id', 'end_at'] },
    ],
  },
  {
    // One-time links a household uses to announce an opening; only the hash is kept.
    name: 'announce_links',
    columns: [
      text('token_hash'),
      text('household_id'),
      text('created_by'),
      createdAt,
      integer('expires_at'),
      integer('used_at', { nullable: true }),
    ],
    primaryKey: ['token_hash'],
  },
  {
    // A household's reusable QR code to announce openings (alerting/engine/qrFlow.ts): only the
    // hash of the URL's secret is kept. A new code revokes the one in force (revoked_at), so the
    // old URL can say it was replaced; removing the household removes its codes.
    name: 'resident_qr_codes',
    columns: [
      text('token_hash'),
      text('household_id', { references: references('households', { onDelete: 'cascade' }) }),
      text('created_by'),
      createdAt,
      integer('revoked_at', { nullable: true }),
    ],
    primaryKey: ['token_hash'],
    indexes: [{ name: 'resident_qr_codes_household', table: 'resident_qr_codes', columns: ['household_id'] }],
  },
  {
    // A sensor whose alerts are held back until until_at (alerting/engine/silences.ts); lifting
    // it early deletes the row. Not a foreign key: a sensor taken off keeps nothing alerting-side.
    name: 'sensor_silences',
    columns: [text('sensor_id'), integer('until_at'), text('reason'), text('by'), createdAt],
    primaryKey: ['sensor_id'],
  },
  {
    // The SMS gateway's id of each part of an SMS delivery: a delivery receipt names it.
    name: 'sms_messages',
    columns: [
      text('outbox_id'),
      integer('part'),
      text('message_id'),
      integer('submitted_at'),
      text('receipt', { nullable: true }),
      integer('receipt_at', { nullable: true }),
    ],
    primaryKey: ['outbox_id', 'part'],
    indexes: [{ name: 'sms_messages_id', table: 'sms_messages', columns: ['message_id'] }],
  },
  {
    // The daily reports' archive: one per grid node and local day (the report's JSON), written in
    // the transaction that queues its messages, so a day is reported (and sent) once.
    name: 'daily_reports',
    columns: [text('grid_id'), text('day'), integer('generated_at'), text('report')],
    primaryKey: ['grid_id', 'day'],
    indexes: [{ name: 'daily_reports_day', table: 'daily_reports', columns: [desc('day'), 'grid_id'] }],
  },
];

/** Several instances on one PostgreSQL database; a SQLite file has one instance and needs none of this. */
const severalInstances = {
  dialect: 'postgres',
  why: 'only instances sharing one PostgreSQL database coordinate',
} as const;

const SEVERAL_INSTANCES: Table[] = [
  {
    // Every instance's committed messages, one row per commit group (a JSON array), read in commit
    // order by (xid, id): see storage/postgres/sealFeed.ts.
    name: 'seal_feed',
    columns: [
      serial('id'),
      transactionId('xid', { default: { sql: 'pg_current_xact_id()' } }),
      text('instance'),
      text('events'),
      timestamp('created_at', { default: { sql: 'now()' } }),
    ],
    primaryKey: ['id'],
    indexes: [{ name: 'seal_feed_order', table: 'seal_feed', columns: ['xid', 'id'] }],
    only: severalInstances,
  },
  {
    // Who holds the alerting lock, and where the others forward alerting calls.
    name: 'alerting_owner',
    columns: [integer('id'), text('instance'), text('url'), integer('since')],
    primaryKey: ['id'],
    checks: ['id = 1'],
    only: severalInstances,
  },
  {
    // External-broker sessions (MQTT client ids) of the instances; a session whose instance no
    // longer holds its advisory lock is emptied by the alerting owner (consumerSessions.ts).
    name: 'mqtt_sessions',
    columns: [text('client_id'), text('instance'), integer('since')],
    primaryKey: ['client_id'],
    only: severalInstances,
  },
  {
    // Secrets every instance must share (the acknowledge-link key).
    name: 'shared_secrets',
    columns: [text('name'), text('value')],
    primaryKey: ['name'],
    only: severalInstances,
  },
];

/** Every table, in creation order. */
export const TABLES: readonly Table[] = [...REGISTRY, ...SEAL_STATE, ...ALERTING, ...SEVERAL_INSTANCES];
