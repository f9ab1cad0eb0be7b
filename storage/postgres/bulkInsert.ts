/**
 * Many registry rows in one statement per table: one array per column, unnested by PostgreSQL
 * (`unnest($1::text[], $2::bigint[], …)`), not one statement per row. For single inserts and the
 * CSV import's transaction alike.
 */
import type pg from 'pg';
import type { GridNode, Household, Quarantine, Window, Worker } from '../../registry/schemas.ts';
import type { SensorRow } from '../../registry/storedRecords.ts';

/** A pool or a client inside a transaction: both run queries. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/** The columns of `rows`, one array each, for `unnest($1::text[], $2::bigint[], …)`: one statement writes them all. */
function columns<T>(rows: readonly T[], pick: (row: T) => unknown[]): unknown[][] {
  const tuples = rows.map(pick);
  return (tuples[0] ?? []).map((_, i) => tuples.map((t) => t[i] ?? null));
}

// Multi-row inserts: each takes one array per column, in the order of its PICK tuple.
const INSERT = {
  grid: `INSERT INTO grid_nodes (id, name, parent_id, level, created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
  workers: `INSERT INTO workers (id, name, grid_id, role, email, phone, webhook, created_at, chat_user_id)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[])`,
  households: `INSERT INTO households (id, grid_id, address, contact, created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
  sensors: `INSERT INTO sensors (id, household_id, model, secret_hash, friendly_name, created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
  quarantines: `INSERT INTO quarantines (id, household_id, start_at, end_at, created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])`,
  windows: `INSERT INTO windows (id, grid_id, household_id, start_at, end_at, reason, "by", created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])`,
} as const;

const PICK = {
  grid: (n: GridNode) => [n.id, n.name, n.parentId, n.level, n.createdAt],
  workers: (w: Worker) => [
    w.id,
    w.name,
    w.gridId,
    w.role,
    w.email,
    w.phone,
    w.webhook,
    w.createdAt,
    w.chatUserId,
  ],
  households: (h: Household) => [h.id, h.gridId, h.address, h.contact, h.createdAt],
  // commissioning_until is not written on insert (as in SqliteStore): setCommissioning sets it.
  sensors: (x: SensorRow) => [x.id, x.householdId, x.model, x.secretHash, x.friendlyName, x.createdAt],
  quarantines: (q: Quarantine) => [q.id, q.householdId, q.start, q.end, q.createdAt],
  windows: (w: Window) => [w.id, w.gridId, w.householdId, w.start, w.end, w.reason, w.by, w.createdAt],
};

/** Writes `rows` (none: nothing) into `table` with one statement. */
export async function insertRows<K extends keyof typeof INSERT>(
  db: Queryable,
  table: K,
  rows: readonly Parameters<(typeof PICK)[K]>[0][] | undefined,
): Promise<void> {
  if (!rows?.length) return;
  await db.query(INSERT[table], columns(rows, PICK[table] as (row: unknown) => unknown[]));
}
