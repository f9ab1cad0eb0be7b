/**
 * SQLite's online backup (better-sqlite3 `db.backup()`, the sqlite3_backup_* API): a consistent copy of a
 * database that keeps being written. It copies a batch of pages per step and yields to the event loop between
 * steps, so the service's own connection keeps committing meanwhile.
 *
 * Two cases, one function:
 * - The service backs up through its own connection (scheduled backups): SQLite mirrors that connection's
 *   writes into the copy as they happen, so small steps finish and never block the event loop for long.
 * - The CLI backs up through a connection of its own while the service writes: SQLite restarts the copy
 *   whenever another connection changed the database between two steps. Under steady load small steps
 *   would restart for ever, so each restart doubles the step; at worst the rest is copied in one step,
 *   which holds only a read snapshot (WAL: the service's writers are never blocked by it).
 */
import Database from 'better-sqlite3';
import { ServiceError } from '../../core/errors.ts';
import type { Db } from './openDatabase.ts';

export interface BackupProgress {
  totalPages: number;
  /** Pages already in the copy (it can go back to 0 when the copy restarts). */
  donePages: number;
  restarts: number;
}

export interface OnlineBackupOptions {
  /** Pages per step to start with (default 100: ~400 KiB, a millisecond or two of work). */
  stepPages?: number;
  onProgress?: (progress: BackupProgress) => void;
  /** Aborts the copy at its next step (the service is stopping). */
  signal?: AbortSignal;
}

/** The largest step better-sqlite3 passes on: SQLite copies every page left in that one step. */
const ALL_REMAINING_PAGES = 0x7fffffff;

/** Copies `source` into `destFile` (which must not exist yet). Resolves with the pages and restarts. */
export async function copyDatabaseOnline(
  source: Db,
  destFile: string,
  options: OnlineBackupOptions = {},
): Promise<{ totalPages: number; restarts: number }> {
  let step = options.stepPages ?? 100;
  let lastDone = -1; // better-sqlite3's first step copies nothing; it only counts the pages
  let restarts = 0;
  const result = await source.backup(destFile, {
    progress({ totalPages, remainingPages }) {
      if (options.signal?.aborted)
        throw new ServiceError('unavailable', 'backup aborted: the service is stopping');
      // No headway: another connection wrote since the last step and SQLite started over.
      // (A database growing under the backing-up connection itself adds pages without a restart.)
      const donePages = totalPages - remainingPages;
      if (donePages <= lastDone) {
        restarts++;
        step *= 2;
      }
      lastDone = donePages;
      options.onProgress?.({ totalPages, donePages, restarts });
      // Once a step would cover the whole database, ask for all of it: `totalPages` is as of the last step and
      // the database may have grown since, so a step of exactly that size could fall short and restart for ever.
      return step >= totalPages ? ALL_REMAINING_PAGES : step;
    },
  });
  options.onProgress?.({ totalPages: result.totalPages, donePages: result.totalPages, restarts });
  return { totalPages: result.totalPages, restarts };
}

/**
 * Opens an installation's database to back it up from another process, without migrating or changing it.
 * Read-write on purpose: a WAL database opened read-only needs its -shm file to exist already, which it
 * does not while the service is stopped.
 */
export function openDatabaseForBackup(file: string): Db {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** `PRAGMA integrity_check` and the schema version of a database file, opened read-only. */
export function checkDatabaseFile(file: string): { problems: string[]; schemaVersion: number | null } {
  let db: Db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    return { problems: [`cannot be opened: ${(err as Error).message}`], schemaVersion: null };
  }
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((line) => line !== 'ok');
    return { problems, schemaVersion: schemaVersion(db) };
  } catch (err) {
    return { problems: [(err as Error).message], schemaVersion: null };
  } finally {
    db.close();
  }
}

/** The last schema step applied (storage/schema/steps.ts), or null for a file without the table. */
export function schemaVersion(db: Db): number | null {
  try {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v;
  } catch {
    return null;
  }
}
