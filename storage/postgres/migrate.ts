import type pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { TABLES } from '../schema/definition.ts';
import { planMigrations } from '../schema/migrationPlan.ts';
import { createSchemaSql } from '../schema/renderDdl.ts';
import { opsFor, postgresStatements, type Step } from '../schema/stepOps.ts';
import { STEPS } from '../schema/steps.ts';
import { checkOut } from './checkOut.ts';
import { LEGACY_MIGRATIONS } from './legacyMigrations.ts';

/**
 * Key of the transaction-scoped advisory lock that serialises migrations:
 * two instances starting at once against one database take turns, and the
 * second finds the first one's versions applied. (An arbitrary constant; it
 * only has to differ from other advisory locks taken on the same database.)
 */
export const MIGRATION_LOCK_KEY = 0x5ea1_0001;

/**
 * Brings a PostgreSQL database to storage/schema/definition.ts in one
 * transaction under an advisory lock: all of it or none, and never two
 * instances at once. An empty database is created from the definition; an
 * older one finishes its frozen history, then takes the missing steps.
 * `steps` is STEPS but for tests of the step operations.
 */
export async function migratePostgres(
  pool: pg.Pool,
  logger: Logger,
  steps: readonly Step[] = STEPS,
): Promise<void> {
  const { client, release } = await checkOut(pool);
  const done: { version: number; migration: string }[] = [];
  let created: number | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const record = (version: number, name: string) =>
      client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        version,
        name,
        Date.now(),
      ]);
    const plan = planMigrations(new Set(rows.map((r) => r.version)), LEGACY_MIGRATIONS, steps);
    if (plan.kind === 'create') {
      for (const statement of createSchemaSql(TABLES, 'postgres')) await client.query(statement);
      for (const step of plan.steps) await record(step.version, step.name);
      created = plan.steps.at(-1)?.version;
    } else {
      for (const m of plan.legacy) {
        await client.query(m.sql);
        await record(m.version, m.name);
        done.push({ version: m.version, migration: m.name });
      }
      for (const step of plan.steps) {
        for (const op of opsFor(step, 'postgres')) {
          for (const statement of postgresStatements(op)) await client.query(statement);
        }
        await record(step.version, step.name);
        done.push({ version: step.version, migration: step.name });
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    release(true);
    throw err;
  }
  release();
  if (created !== undefined) logger.info({ version: created }, 'database created');
  for (const m of done) logger.info(m, 'database migrated');
}
