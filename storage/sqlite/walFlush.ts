import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';
import type { Db } from './openDatabase.ts';
import { UnsyncedCommit } from './unsyncedCommit.ts';

/**
 * Ingest's group commit made durable off the event loop (issue 20.1).
 *
 * With synchronous=FULL, SQLite fsyncs the write-ahead log inside COMMIT, and better-sqlite3 runs
 * COMMIT on the event loop: the loop stood still for every fsync (the largest single cost in the
 * ingest profile after GC). An ingest group therefore commits with synchronous=NORMAL, under which
 * SQLite writes the group's WAL frames (write(2), into the page cache) but does not sync them, and
 * this fdatasync()s the WAL file on libuv's thread pool before the group's PUBACKs go out. A message
 * is acknowledged only once its frames are on disk, as under FULL; meanwhile the loop reads and
 * decodes the next group.
 *
 * Why NORMAL loses nothing here that FULL would keep (https://www.sqlite.org/pragma.html#pragma_synchronous,
 * https://www.sqlite.org/wal.html): in WAL mode NORMAL differs from FULL only in the sync at each
 * commit; checkpoints still sync the WAL before copying it into the database and the database after.
 * A power loss before our fdatasync returns can roll back the group, whose senders got no PUBACK and
 * resend. Every other write on the connection (API, alerting's own timers) stays synchronous=FULL,
 * but for a delivery's outcome, which a resend writes again (unsyncedCommit.ts).
 *
 * The WAL is opened once and re-opened if its inode changed (SQLite deletes it when the last
 * connection closes; ours stays open, but a re-opened file must not be missed).
 */
export class WalFlush {
  private readonly walPath: string;
  private fd: number | null = null;
  private inode = -1;

  private constructor(
    db: Db,
    private readonly unsynced: UnsyncedCommit,
  ) {
    this.walPath = `${db.name}-wal`;
  }

  /** Only for a file database in WAL mode on synchronous=FULL; otherwise commits stay as they are. */
  static for(db: Db): WalFlush | null {
    const unsynced = UnsyncedCommit.for(db);
    return unsynced ? new WalFlush(db, unsynced) : null;
  }

  /** Runs `write` (one transaction) without SQLite's own sync at its commit, then syncs the WAL off the loop. */
  commit<T>(write: () => T): Promise<T> {
    // Not async: a `write` that throws throws here, before anything is synced (SqliteStore.commitIngest).
    const result = this.unsynced.run(write);
    return this.sync().then(() => result);
  }

  private sync(): Promise<void> {
    let fd: number;
    try {
      fd = this.walFd();
    } catch (err) {
      // No WAL to sync at its path: the group cannot be vouched for, like a failed fdatasync.
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) =>
      fdatasync(fd, (err) =>
        err
          ? reject(Object.assign(err, { message: `fdatasync ${this.walPath}: ${err.message}` }))
          : resolve(),
      ),
    );
  }

  private walFd(): number {
    // After a commit the WAL exists: the connection that wrote it is open.
    const inode = statSync(this.walPath).ino;
    if (this.fd !== null && inode === this.inode) return this.fd;
    this.close();
    this.fd = openSync(this.walPath, 'r');
    this.inode = fstatSync(this.fd).ino;
    return this.fd;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
