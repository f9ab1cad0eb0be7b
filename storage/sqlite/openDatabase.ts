import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Logger } from '../../core/logger.ts';
import { MIGRATIONS } from './migrations.ts';

export type Db = Database.Database;

/**
 * Opens the SQLite file in WAL mode with foreign keys and applies pending
 * migrations. synchronous=FULL: a commit is on disk before ingest sends the
 * PUBACK; group commit keeps the fsync cost per message small.
 */
export function openDatabase(file: string, logger: Logger): Db {
  const fresh = !existsSync(file);
  const db = new Database(file);
  if (fresh) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, logger);
  return db;
}

function migrate(db: Db, logger: Logger): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    })();
    logger.info({ version: m.version, migration: m.name }, 'database migrated');
  }
}
