/**
 * Ingest's commit port on PostgreSQL (ingest/ingestStore.ts): a whole group of messages in one
 * statement. Apart from PostgresStore because it is the hot path, tuned on its own.
 */
import type { DoorEventRecord, SealState } from '../../core/sealState.ts';
import type { IngestCommit } from '../../ingest/ingestStore.ts';
import { windowText } from '../dedupWindowText.ts';
import { encodeFeedEvents } from './feedEncoding.ts';
import type { Pool } from './openPool.ts';
import { SEAL_FEED_CHANNEL } from './sealFeed.ts';

/**
 * One statement, so one transaction and one round trip, for a whole ingest group:
 * the seal states are upserted and the door events appended.
 * - The join with sensors (FOR KEY SHARE) is SqliteStore's EXISTS guard: a sensor removed while
 *   its message was in flight leaves no state row behind and does not fail the group. The lock
 *   makes a concurrent deleteSensor (which locks the row FOR UPDATE first) wait or be waited for.
 * - commitIngestGroup sorts the states by sensor id, so concurrent groups on several instances lock
 *   seal_state rows in one order and cannot deadlock.
 * - Both inserts run even though the final SELECT reads neither (PostgreSQL always runs
 *   data-modifying WITH clauses, once, to completion).
 */
const COMMIT_INGEST = `
  WITH s AS (
    INSERT INTO seal_state (sensor_id, door, online, battery, rssi, tamper, last_seen, last_door_change,
        door_observed_at, recent_seqs, messages, updated_at)
      SELECT u.sensor_id, u.door, u.online, u.battery, u.rssi, u.tamper, u.last_seen, u.last_door_change,
          u.door_observed_at, u.recent_seqs::jsonb, u.messages, u.updated_at
        FROM unnest($1::text[], $2::text[], $3::boolean[], $4::float8[], $5::float8[], $6::boolean[],
            $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint[])
          WITH ORDINALITY AS u(sensor_id, door, online, battery, rssi, tamper, last_seen, last_door_change,
            door_observed_at, recent_seqs, messages, updated_at, n)
        JOIN sensors ON sensors.id = u.sensor_id
        ORDER BY u.n
        FOR KEY SHARE OF sensors
    ON CONFLICT (sensor_id) DO UPDATE SET door = excluded.door, online = excluded.online,
      battery = excluded.battery, rssi = excluded.rssi, tamper = excluded.tamper, last_seen = excluded.last_seen,
      last_door_change = excluded.last_door_change, door_observed_at = excluded.door_observed_at,
      recent_seqs = excluded.recent_seqs, messages = excluded.messages, updated_at = excluded.updated_at
  ), e AS (
    INSERT INTO door_events (sensor_id, household_id, type, ts, received_at, seq, dialect)
      SELECT u.sensor_id, u.household_id, u.type, u.ts, u.received_at, u.seq, u.dialect
        FROM unnest($13::text[], $14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::bigint[], $19::text[])
          WITH ORDINALITY AS u(sensor_id, household_id, type, ts, received_at, seq, dialect, n)
        ORDER BY u.n
  )
  SELECT 1`;

/**
 * The same, and the group's messages appended to the seal feed with a wake-up for its readers
 * ($20: this instance, $21: the group's SealCommitted messages as one JSON document (feedEncoding.ts): one row
 * per group, not per message, costs a row's overhead once (1,600 messages: 48 ms as rows, a few ms as one).
 * NOTIFY is delivered at commit. Answers the feed row's id (OwnFeedGroups: the owner keeps its groups by it).
 */
const COMMIT_INGEST_WITH_FEED = COMMIT_INGEST.replace(
  /SELECT 1$/,
  `, f AS (
    INSERT INTO seal_feed (instance, events) VALUES ($20, $21) RETURNING id
  ), n AS (
    SELECT pg_notify('${SEAL_FEED_CHANNEL}', $20)
  )
  SELECT (SELECT id FROM f) AS feed_id FROM n`,
);

/**
 * Commits one ingest group; with `instanceId` (several instances share the database) its messages
 * go to the seal feed in the same statement, and the feed row's id is answered (else null).
 */
export async function commitIngestGroup(
  pool: Pool,
  instanceId: string | null,
  commit: IngestCommit,
): Promise<number | null> {
  if (commit.states.length === 0 && commit.doorEvents.length === 0) return null;
  // A sensor twice in one group: the later state wins, as with SQLite's upsert row by row
  // (PostgreSQL refuses to upsert one row twice in one statement).
  const latest = new Map<string, SealState>();
  for (const s of commit.states) latest.set(s.sensorId, s);
  const states = [...latest.values()].sort((a, b) => (a.sensorId < b.sensorId ? -1 : 1));
  const state = <V>(f: (s: SealState) => V): V[] => states.map(f);
  const event = <V>(f: (e: DoorEventRecord) => V): V[] => commit.doorEvents.map(f);
  // Named: each connection parses and plans it once.
  const feed = instanceId !== null && commit.events !== undefined && commit.events.length > 0;
  const { rows } = await pool.query<{ feed_id: string | number | null }>({
    name: feed ? 'sealwatch-commit-ingest-feed' : 'sealwatch-commit-ingest',
    text: feed ? COMMIT_INGEST_WITH_FEED : COMMIT_INGEST,
    values: [
      state((s) => s.sensorId),
      state((s) => s.door),
      state((s) => s.online),
      state((s) => s.battery),
      state((s) => s.rssi),
      state((s) => s.tamper),
      state((s) => s.lastSeen),
      state((s) => s.lastDoorChange),
      state((s) => s.doorObservedAt),
      state((s) => windowText(s.recentSeqs)),
      state((s) => s.messages),
      state((s) => s.updatedAt),
      event((e) => e.sensorId),
      event((e) => e.householdId),
      event((e) => e.type),
      event((e) => e.ts),
      event((e) => e.receivedAt),
      event((e) => e.seq),
      event((e) => e.dialect),
      ...(feed ? [instanceId, encodeFeedEvents(commit.events ?? [])] : []),
    ],
  });
  const id = feed ? rows[0]?.feed_id : null;
  return id === null || id === undefined ? null : Number(id);
}
