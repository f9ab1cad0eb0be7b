import pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type Pool = pg.Pool;

/**
 * Key of the transaction-scoped advisory lock that serialises migrations:
 * two instances starting at once against one database take turns, and the
 * second finds the first one's versions applied. (An arbitrary constant; it
 * only has to differ from other advisory locks taken on the same database.)
 */
export const MIGRATION_LOCK_KEY = 0x5ea1_0001;

const INT8_OID = 20;

/** int8 (bigint, count(*)) as a number: epoch ms and counts are far below 2^53. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${text} is beyond Number.MAX_SAFE_INTEGER`);
  return n;
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface OpenPoolOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * Connects a pool to `url` (postgres://user:password@host:port/database),
 * checks that the server answers and applies pending migrations. bigint
 * columns come back as numbers (a parser local to this pool, not pg's global
 * one). Durability is PostgreSQL's: a commit returns once its WAL is flushed
 * (synchronous_commit=on, the server default).
 */
export async function openPool(url: string, logger: Logger, options: OpenPoolOptions = {}): Promise<Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'sealwatch',
    types,
  });
  // An idle connection that the server drops (restart, failover) must not crash the process:
  // the pool discards it and the next query opens a new one.
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'));
  try {
    await migrate(pool, logger, MIGRATIONS);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/**
 * Applies the pending migrations in one transaction under an advisory lock:
 * all of them or none, and never two instances at once.
 */
export async function migrate(pool: Pool, logger: Logger, migrations: readonly Migration[]): Promise<void> {
  const client = await pool.connect();
  const done: Migration[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      done.push(m);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    client.release(err instanceof Error ? err : true);
    throw err;
  }
  client.release();
  for (const m of done) logger.info({ version: m.version, migration: m.name }, 'database migrated');
}
