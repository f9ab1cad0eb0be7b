import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../core/logger.ts';
import type { Db } from './openDatabase.ts';
import { UnsyncedCommit } from './unsyncedCommit.ts';

/** The two ways to fdatasync the WAL, and a clock: node:fs and performance.now(), or a test's double. */
export interface WalSyncs {
  /** On the calling thread (the event loop waits for the disk). */
  here(fd: number): void;
  /** On libuv's thread pool. */
  onPool(fd: number, done: (err: NodeJS.ErrnoException | null) => void): void;
  now(): number;
}

const nodeSyncs: WalSyncs = { here: fdatasyncSync, onPool: fdatasync, now: () => performance.now() };

/** The syncs on the event loop that were slower than SLOW_HERE_MS, for /metrics. */
export interface SlowWalSyncs {
  count: number;
  slowestMs: number;
}

/**
 * A sync on the event loop that took longer than this sends the next syncs to the thread pool for
 * BACK_TO_POOL_MS: a disk that stalls then holds up PUBACKs, not the whole service (API, live page,
 * logins), for more than one sync a second.
 */
const SLOW_HERE_MS = 5;
const BACK_TO_POOL_MS = 1000;

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
 * Under a light load the pipeline asks for the sync on the event loop instead (`here`): at a steady
 * 5,000 msg/s the fdatasync itself took 0.18 ms (p50) and 0.6 ms (p99) in the kernel, timed in the
 * thread that made it, but 0.45 and 1.8–3 ms from handing it to the pool until its callback ran on the
 * loop: two wake-ups of a thread on another core, which on this two-core virtual machine wait for the
 * scheduler, cost more than the sync (issue 20.1, the PUBACK p99). Under load the pool keeps the loop
 * free to read and write the next group meanwhile.
 *
 * The WAL is opened once and re-opened if its inode changed (SQLite deletes it when the last
 * connection closes; ours stays open, but a re-opened file must not be missed).
 */
export class WalFlush {
  private readonly walPath: string;
  private fd: number | null = null;
  private inode = -1;
  /** syncs.now() until which a sync asked for on the loop goes to the pool (after a slow one). */
  private poolUntil = Number.NEGATIVE_INFINITY;
  private readonly slow: SlowWalSyncs = { count: 0, slowestMs: 0 };

  private constructor(
    db: Db,
    private readonly unsynced: UnsyncedCommit,
    private readonly syncs: WalSyncs,
    private readonly log: Logger | null,
  ) {
    this.walPath = `${db.name}-wal`;
  }

  /** Only for a file database in WAL mode on synchronous=FULL; otherwise commits stay as they are. */
  static for(db: Db, options: { log?: Logger | undefined; syncs?: WalSyncs } = {}): WalFlush | null {
    const unsynced = UnsyncedCommit.for(db);
    return unsynced ? new WalFlush(db, unsynced, options.syncs ?? nodeSyncs, options.log ?? null) : null;
  }

  slowSyncs(): Readonly<SlowWalSyncs> {
    return this.slow;
  }

  /**
   * Runs `write` (one transaction) without SQLite's own sync at its commit, then syncs the WAL: on
   * the thread pool, or `here` on the event loop (then the promise is settled when this returns).
   */
  commit<T>(write: () => T, here = false): Promise<T> {
    // Not async: a `write` that throws throws here, before anything is synced (SqliteStore.commitIngest).
    const result = this.unsynced.run(write);
    let fd: number;
    try {
      fd = this.walFd();
    } catch (err) {
      return Promise.reject(this.failed(err as NodeJS.ErrnoException));
    }
    const synced = here && this.syncs.now() >= this.poolUntil ? this.syncHere(fd) : this.syncOnPool(fd);
    return synced.then(() => result);
  }

  private syncHere(fd: number): Promise<void> {
    const started = this.syncs.now();
    try {
      this.syncs.here(fd);
    } catch (err) {
      return Promise.reject(this.failed(err as NodeJS.ErrnoException));
    }
    const ended = this.syncs.now();
    if (ended - started > SLOW_HERE_MS) this.tooSlowHere(ended - started, ended);
    return Promise.resolve();
  }

  /** At most once a second (the next second's syncs are on the pool), so one log line each. */
  private tooSlowHere(ms: number, now: number): void {
    this.poolUntil = now + BACK_TO_POOL_MS;
    this.slow.count++;
    this.slow.slowestMs = Math.max(this.slow.slowestMs, ms);
    this.log?.warn(
      { code: 'wal_sync_slow', walPath: this.walPath, ms: Math.round(ms * 10) / 10 },
      `fdatasync of the WAL on the event loop took ${ms.toFixed(1)} ms (over ${SLOW_HERE_MS}): ingest syncs on the thread pool for the next ${BACK_TO_POOL_MS / 1000} s`,
    );
  }

  private syncOnPool(fd: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.syncs.onPool(fd, (err) => (err ? reject(this.failed(err)) : resolve())),
    );
  }

  /**
   * The group cannot be vouched for: a failed fdatasync, or no WAL to sync at its path (that error
   * names the path already).
   */
  private failed(err: NodeJS.ErrnoException): Error {
    if (err.syscall === 'fdatasync') err.message = `fdatasync ${this.walPath}: ${err.message}`;
    return err;
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
