/**
 * Moves an installation's SQLite database into an empty PostgreSQL database, all of it or nothing:
 *
 *   1. refuse unless every one of our tables in the target is empty (or absent), before writing;
 *   2. create or complete the schema exactly as the service does at start (migratePostgres);
 *   3. in ONE transaction, under the migration advisory lock (a service started against the target
 *      meanwhile waits in its own migration until this ends): check emptiness again, copy every
 *      table of the definition in batches, continue each auto-numbered key past the copied rows
 *      (and past SQLite's AUTOINCREMENT high-water mark), write the shared secrets;
 *   4. read every table back and compare its row count and checksum with what was read from
 *      SQLite; any difference rolls the whole transaction back, leaving the target empty.
 *
 * A failure anywhere leaves an empty schema, which a second run accepts: restarting is running
 * again. The source is read in one snapshot (sqliteSource.ts) and never written.
 */
import pg from 'pg';
import { ServiceError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { checkOut } from '../postgres/checkOut.ts';
import { MIGRATION_LOCK_KEY, migratePostgres } from '../postgres/migrate.ts';
import { TABLES } from '../schema/definition.ts';
import { type SqliteValue, type TableCopy, tablesToCopy, toPostgres } from './copyPlan.ts';
import {
  continueSerial,
  digestTable,
  insertBatch,
  type Queryable,
  tablesWithRows,
} from './postgresTarget.ts';
import { RowDigest } from './rowDigest.ts';
import { openSqliteSource, type SqliteSource } from './sqliteSource.ts';

export interface Progress {
  table: string;
  phase: 'copy' | 'check';
  done: number;
  total: number;
}

export interface TableReport {
  table: string;
  rows: number;
  copyMs: number;
  checkMs: number;
  /** `rows:checksum` of what was read from SQLite, and of what PostgreSQL holds. */
  source: string;
  target: string;
  ok: boolean;
}

export interface MigrateReport {
  tables: TableReport[];
  /** Every table matched, and the transaction committed. */
  ok: boolean;
  /** Names written to shared_secrets. */
  sharedSecrets: string[];
  totalMs: number;
}

export interface MigrateStoreOptions {
  sqliteFile: string;
  postgresUrl: string;
  /** Rows written into shared_secrets (name → value), e.g. the acknowledge-link key. */
  sharedSecrets?: Record<string, string>;
  logger: Logger;
  /** Rows per INSERT and per read-back (default 5,000). */
  batchRows?: number;
  onProgress?: (p: Progress) => void;
  /** Runs between the copy and the check, inside the transaction (tests corrupt the target here). */
  beforeCheck?: (db: Queryable) => Promise<void>;
}

export async function migrateStore(o: MigrateStoreOptions): Promise<MigrateReport> {
  const started = Date.now();
  const batch = o.batchRows ?? 5_000;
  const source = openSqliteSource(o.sqliteFile);
  const pool = new pg.Pool({
    connectionString: o.postgresUrl,
    max: 2,
    application_name: 'sealwatch migrate-store',
  });
  pool.on('error', (err) => o.logger.warn({ err }, 'idle PostgreSQL connection failed'));
  try {
    await refuseUnlessEmpty(pool);
    await migratePostgres(pool, o.logger);
    const { client, release } = await checkOut(pool);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await refuseUnlessEmpty(client);
      const copied: { copy: TableCopy; digest: RowDigest; copyMs: number }[] = [];
      for (const copy of tablesToCopy()) {
        const t0 = Date.now();
        const digest = await copyTable(client, source, copy, batch, o.onProgress);
        copied.push({ copy, digest, copyMs: Date.now() - t0 });
      }
      const sharedSecrets = Object.keys(o.sharedSecrets ?? {});
      for (const [name, value] of Object.entries(o.sharedSecrets ?? {})) {
        await client.query('INSERT INTO shared_secrets (name, value) VALUES ($1, $2)', [name, value]);
      }
      await o.beforeCheck?.(client);
      const tables: TableReport[] = [];
      for (const { copy, digest, copyMs } of copied) {
        const t0 = Date.now();
        const name = copy.table.name;
        const total = digest.rows;
        const target = await digestTable(client, copy.table, batch, (done) =>
          o.onProgress?.({ table: name, phase: 'check', done, total }),
        );
        tables.push({
          table: name,
          rows: digest.rows,
          copyMs,
          checkMs: Date.now() - t0,
          source: digest.value,
          target: target.value,
          ok: digest.value === target.value,
        });
      }
      const ok = tables.every((t) => t.ok);
      await client.query(ok ? 'COMMIT' : 'ROLLBACK');
      release();
      return { tables, ok, sharedSecrets, totalMs: Date.now() - started };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      release(true);
      throw err;
    }
  } finally {
    source.close();
    await pool.end();
  }
}

async function refuseUnlessEmpty(db: Queryable): Promise<void> {
  const full = await tablesWithRows(db, TABLES);
  if (full.length > 0) {
    throw new ServiceError(
      'conflict',
      `the target database is not empty (rows in ${full.join(', ')}): migrate-store writes only into an empty database, and changed nothing`,
      { tables: full },
    );
  }
}

/** One table, in batches; returns the digest of the rows as they were sent. */
async function copyTable(
  db: Queryable,
  source: SqliteSource,
  copy: TableCopy,
  batch: number,
  onProgress: MigrateStoreOptions['onProgress'],
): Promise<RowDigest> {
  const { table } = copy;
  const types = table.columns.map((c) => c.type);
  const digest = new RowDigest(types);
  const total = source.count(table);
  const convert = (row: SqliteValue[], n: number) =>
    table.columns.map((c, i) => toPostgres(c.type, row[i] ?? null, `${table.name} row ${n}, ${c.name}`));
  let pending: unknown[][] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await insertBatch(db, table, pending);
    for (const row of pending) digest.add(row);
    pending = [];
    onProgress?.({ table: table.name, phase: 'copy', done: digest.rows, total });
  };
  const rows = copy.selfReference
    ? parentsFirst([...source.rows(table)], table.columns.indexOf(copy.selfReference), keyIndex(copy))
    : source.rows(table);
  let n = 0;
  for (const row of rows) {
    pending.push(convert(row, ++n));
    if (pending.length >= batch) await flush();
  }
  await flush();
  if (copy.serial) {
    await continueSerial(db, table, copy.serial.name, source.highestSerial(table, copy.serial.name));
  }
  return digest;
}

/** The column a self-reference points at (the table's key: `references('grid_nodes')` means its id). */
function keyIndex(copy: TableCopy): number {
  const target = copy.selfReference?.references?.column ?? 'id';
  return copy.table.columns.findIndex((c) => c.name === target);
}

/**
 * Rows ordered so that a row's parent comes before it. Rows whose parent is not in the table are
 * written last, as read: PostgreSQL then refuses them, as SQLite should have.
 */
export function parentsFirst<T extends readonly unknown[]>(
  rows: T[],
  refIndex: number,
  keyIndex: number,
): T[] {
  const out: T[] = [];
  const placed = new Set<unknown>();
  let waiting = rows;
  while (waiting.length > 0) {
    const next: T[] = [];
    for (const row of waiting) {
      const parent = row[refIndex];
      if (parent === null || placed.has(parent)) {
        out.push(row);
        placed.add(row[keyIndex]);
      } else next.push(row);
    }
    if (next.length === waiting.length) return [...out, ...next];
    waiting = next;
  }
  return out;
}
