import type Database from 'better-sqlite3';
import { ServiceError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { TABLES } from '../schema/definition.ts';
import { planMigrations } from '../schema/migrationPlan.ts';
import { createSchemaSql } from '../schema/renderDdl.ts';
import { applySqliteOp, opsFor, type Step } from '../schema/stepOps.ts';
import { STEPS } from '../schema/steps.ts';
import { LEGACY_MIGRATIONS } from './legacyMigrations.ts';

/**
 * Brings a SQLite database to storage/schema/definition.ts: an empty one is created from it, an
 * older one finishes its frozen history and takes the missing steps, each in its own transaction.
 * Foreign keys are off meanwhile (a table rebuild drops a table that others reference) and
 * checked before each commit instead. `steps` is STEPS but for tests of the step operations.
 */
export function migrateSqlite(db: Database.Database, logger: Logger, steps: readonly Step[] = STEPS): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const inTransaction = (version: number, name: string, change: () => void) =>
    db.transaction(() => {
      change();
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length) {
        throw new ServiceError('internal', `migration ${version} would break foreign keys`, {
          version,
          rows: broken.slice(0, 10),
        });
      }
      record.run(version, name, Date.now());
    })();

  const plan = planMigrations(applied, LEGACY_MIGRATIONS, steps);
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    if (plan.kind === 'create') {
      db.transaction(() => {
        for (const statement of createSchemaSql(TABLES, 'sqlite')) db.exec(statement);
        for (const step of plan.steps) record.run(step.version, step.name, Date.now());
      })();
      logger.info({ version: plan.steps.at(-1)?.version }, 'database created');
      return;
    }
    for (const m of plan.legacy) {
      inTransaction(m.version, m.name, () => db.exec(m.sql));
      logger.info({ version: m.version, migration: m.name }, 'database migrated');
    }
    for (const step of plan.steps) {
      inTransaction(step.version, step.name, () => {
        for (const op of opsFor(step, 'sqlite')) applySqliteOp(db, op);
      });
      logger.info({ version: step.version, migration: step.name }, 'database migrated');
    }
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}
