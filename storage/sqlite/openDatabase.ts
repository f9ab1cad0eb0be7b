import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Logger } from '../../core/logger.ts';
import { migrateSqlite } from './migrate.ts';

export type Db = Database.Database;

/**
 * Opens the SQLite file in WAL mode with foreign keys and brings its schema to
 * storage/schema/definition.ts (migrate.ts). synchronous=FULL: a commit is on
 * disk before it returns. Ingest's group commits are on disk before their
 * PUBACKs too, synced off the event loop instead (walFlush.ts).
 */
export function openDatabase(file: string, logger: Logger): Db {
  const fresh = !existsSync(file);
  const db = new Database(file);
  if (fresh) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db, logger);
  return db;
}
