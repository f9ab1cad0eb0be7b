import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.ts';
import type { Db } from './openDatabase.ts';

/**
 * Checkpoints the write-ahead log from a worker thread (issue 20.1).
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages, on the
 * connection that commits: the service's, on the event loop. It copies the WAL into the database and
 * fsyncs both, and every PUBACK and webhook waiting behind that commit waits for it too (at a steady
 * 5,000 msg/s, PUBACK p99 6.0–6.6 ms without it against 7.7–8.6 ms with it). Here a second connection
 * in a worker thread runs `PRAGMA wal_checkpoint(PASSIVE)` a few times a second: it copies what is
 * committed without blocking the writer or readers, and does nothing when nothing is new
 * (https://www.sqlite.org/wal.html#checkpointing, https://www.sqlite.org/c3ref/wal_checkpoint_v2.html).
 * Once it has copied everything, the writer's next transaction starts the WAL over from its
 * beginning, so the file stays the size a few checkpoint periods of writes need.
 *
 * The service's connection keeps an automatic checkpoint as a backstop at BACKSTOP_PAGES, should the
 * worker fall behind (a long reader holding old pages) or die; if it dies, SQLite's default comes back.
 */
const EVERY_MS = 100;
const BACKSTOP_PAGES = 10_000;
const SQLITE_DEFAULT_PAGES = 1_000;

/** CommonJS in the worker; better-sqlite3 is loaded by the path the service itself resolved. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  const started = performance.now();
  const [r] = checkpoint.all();
  const ms = performance.now() - started;
  if (r.checkpointed > 0) parentPort.postMessage({ walFrames: r.log, copied: r.checkpointed, ms });
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointStats {
  /** Checkpoints that copied something. */
  checkpoints: number;
  /** The longest one, ms (in the worker: the event loop did not wait for it). */
  longestMs: number;
}

export class WalCheckpointer {
  private readonly stats: CheckpointStats = { checkpoints: 0, longestMs: 0 };
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly db: Db,
    logger: Logger,
  ) {
    worker.on('message', (m: { walFrames: number; copied: number; ms: number }) => {
      this.stats.checkpoints++;
      this.stats.longestMs = Math.max(this.stats.longestMs, m.ms);
      logger.trace(m, 'WAL checkpoint');
    });
    worker.on('error', (err) => {
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
      logger.error({ err }, 'WAL checkpoint worker failed; the service connection checkpoints again');
    });
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** For a file database in WAL mode; null otherwise (SQLite's own checkpoints stay). */
  static start(db: Db, logger: Logger): WalCheckpointer | null {
    if (db.memory) return null;
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: db.name,
        betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'),
        everyMs: EVERY_MS,
      },
    });
    // A stopping process does not wait for it (stop() ends it first when it can).
    worker.unref();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    return new WalCheckpointer(worker, db, logger);
  }

  checkpointStats(): Readonly<CheckpointStats> {
    return this.stats;
  }

  /**
   * Ends the worker's connection before the service's closes: SQLite checkpoints and removes the WAL
   * at the last connection's close, which is then the service's.
   */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), 2_000);
    await this.exited;
    clearTimeout(timer);
  }
}
