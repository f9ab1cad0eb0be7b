import type pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { migratePostgres } from './migrate.ts';

export type Pool = pg.Pool;

/** The driver, loaded by the first PostgreSQL connection: a service on SQLite never pays for it. */
export async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default;
}

const INT8_OID = 20;

/** int8 (bigint, count(*)) as a number: epoch ms and counts are far below 2^53. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${text} is beyond Number.MAX_SAFE_INTEGER`);
  return n;
}

const typesOf = (driver: typeof pg): pg.CustomTypesConfig => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : driver.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
});

export interface OpenPoolOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * Connects a pool to `url` (postgres://user:password@host:port/database),
 * checks that the server answers and brings the schema to the definition
 * (migrate.ts). bigint columns come back as numbers (a parser local to this
 * pool, not pg's global one). Durability is PostgreSQL's: a commit returns once its WAL is flushed
 * (synchronous_commit=on, the server default).
 */
export async function openPool(url: string, logger: Logger, options: OpenPoolOptions = {}): Promise<Pool> {
  const driver = await loadPg();
  const pool = new driver.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'sealwatch',
    types: typesOf(driver),
  });
  // An idle connection that the server drops (restart, failover) must not crash the process:
  // the pool discards it and the next query opens a new one.
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'));
  try {
    await migratePostgres(pool, logger);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}
