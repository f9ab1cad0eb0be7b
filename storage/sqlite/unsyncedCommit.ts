import type { Db } from './openDatabase.ts';

/**
 * A transaction committed without SQLite's own sync, on a connection kept at synchronous=FULL.
 *
 * In WAL mode, synchronous=NORMAL differs from FULL only in the sync at each commit: the commit
 * writes its frames into the WAL (the page cache) and returns; the next sync of the WAL makes them
 * durable, whoever causes it (a FULL commit, ingest's fdatasync, a checkpoint: the checkpoint worker
 * runs every 100 ms and syncs the WAL before it copies it). A power loss before that can roll the
 * transaction back; a crash of the process cannot (https://www.sqlite.org/pragma.html#pragma_synchronous,
 * https://www.sqlite.org/wal.html). With FULL, better-sqlite3 runs the commit's fsync on the event loop.
 *
 * Used by ingest's group commit, which then syncs the WAL on the thread pool before any PUBACK
 * (walFlush.ts), and by the alerting engine's replayable batches (a delivery's outcome), which a
 * resend writes again (alertStore.ts AlertBatch.replayable).
 */
export class UnsyncedCommit {
  private readonly normal;
  private readonly full;

  private constructor(private readonly db: Db) {
    // SQLite applies PRAGMA synchronous while it prepares the statement (sqlite3Pragma runs at parse
    // time) and marks it expired, so each later run prepares, and applies, it again; the first run of a
    // kept statement applies nothing (measured). One run of each here, ending on FULL, readies both:
    // the tests check the setting inside and after a transaction.
    this.normal = db.prepare('PRAGMA synchronous = NORMAL');
    this.full = db.prepare('PRAGMA synchronous = FULL');
    this.normal.run();
    this.full.run();
  }

  /** Only for a file database in WAL mode on synchronous=FULL; otherwise commits stay as they are. */
  static for(db: Db): UnsyncedCommit | null {
    if (db.memory) return null;
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null;
    if (Number(db.pragma('synchronous', { simple: true })) !== 2) return null;
    return new UnsyncedCommit(db);
  }

  /**
   * Runs `write` (one transaction) at synchronous=NORMAL, then puts the connection back to FULL.
   * Inside a transaction already open, `write` becomes part of it and the setting stays: the outer
   * commit decides. Not async: a `write` that throws throws here.
   */
  run<T>(write: () => T): T {
    if (this.db.inTransaction) return write();
    this.normal.run();
    try {
      return write();
    } finally {
      this.full.run();
    }
  }
}
