import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AlertStore } from '../alerting/alertStore.ts';
import type { SmsLedger } from '../alerting/notifiers/sms/smsLedger.ts';
import type { ResidentQrStore } from '../alerting/residentQrStore.ts';
import type { Logger } from '../core/logger.ts';
import type { DoorHistoryStore, IngestStore } from '../ingest/ingestStore.ts';
import type { RegistryStore } from '../registry/registryStore.ts';
import { openPool, type Pool } from '../storage/postgres/openPool.ts';
import type { OwnFeedGroups } from '../storage/postgres/ownFeedGroups.ts';
import { PostgresAlertStore } from '../storage/postgres/postgresAlertStore.ts';
import { PostgresStore } from '../storage/postgres/postgresStore.ts';
import { PostgresResidentQrStore } from '../storage/postgres/residentQrStore.ts';
import { type FeedPosition, feedHorizon } from '../storage/postgres/sealFeed.ts';
import { PostgresSmsLedger } from '../storage/postgres/smsLedger.ts';
import { SqliteAlertStore } from '../storage/sqlite/alertStore.ts';
import { type Db, openDatabase } from '../storage/sqlite/openDatabase.ts';
import { SqliteResidentQrStore } from '../storage/sqlite/residentQrStore.ts';
import { SqliteSmsLedger } from '../storage/sqlite/smsLedger.ts';
import { SqliteStore } from '../storage/sqlite/sqliteStore.ts';
import { type CheckpointStats, WalCheckpointer } from '../storage/sqlite/walCheckpointer.ts';
import type { SlowWalSyncs } from '../storage/sqlite/walFlush.ts';
import { newInstanceName } from './multiInstance.ts';

/** One database's store for the registry, ingest and the door history: the ports each declares. */
export interface Store extends RegistryStore, IngestStore, DoorHistoryStore {
  close(): Promise<void>;
}

/** The registry's and alerting's stores on one database, and how to close them. */
export interface Stores {
  store: Store;
  alertStore: AlertStore;
  /** The SMS channel's message ids and receipts. */
  smsLedger: SmsLedger;
  /** The households' QR codes to announce openings. */
  residentQr: ResidentQrStore;
  close(): Promise<void>;
}

/**
 * The write-ahead log's figures: the checkpoint worker's (storage/sqlite/walCheckpointer.ts) and
 * ingest's syncs on the event loop slower than 5 ms (storage/sqlite/walFlush.ts); either is null for
 * a database without that part (in memory).
 */
export interface SqliteWalFigures {
  checkpoints: CheckpointStats | null;
  slowSyncs: Readonly<SlowWalSyncs> | null;
}

/** The embedded default: one SQLite file in DATA_DIR; `db`, its connection, is what scheduled backups copy. */
export function openLocalDatabase(
  dataDir: string,
  logger: Logger,
): Stores & { db: Db; walFigures: () => SqliteWalFigures } {
  const log = logger.child({ component: 'db' });
  const db = openDatabase(join(dataDir, 'sealwatch.db'), log);
  const store = new SqliteStore(db, log);
  const checkpointer = WalCheckpointer.start(db, log);
  return {
    db,
    store,
    alertStore: new SqliteAlertStore(db),
    smsLedger: new SqliteSmsLedger(db),
    residentQr: new SqliteResidentQrStore(db),
    walFigures: () => ({
      checkpoints: checkpointer?.checkpointStats() ?? null,
      slowSyncs: store.slowWalSyncs(),
    }),
    close: async () => {
      await checkpointer?.stop();
      await store.close();
    },
  };
}

export interface SharedDatabase extends Stores {
  url: string;
  pool: Pool;
  /** This process among the instances (unique per start). */
  instance: string;
  /** The seal feed's position before this instance read the live state. */
  loadedAt: FeedPosition;
  /** The store's own commit groups, for the engine while this instance owns alerting. */
  ownFeedGroups: OwnFeedGroups;
  /** The key that signs acknowledge links, the same on every instance. */
  ackKey(): Promise<Buffer>;
}

/** The acknowledge-link key's name in shared_secrets (migrate-store writes a SQLite installation's there). */
export const ACK_KEY_SECRET = 'ackKey';

/** Several instances on one PostgreSQL: migrated on open, the feed position taken first. */
export async function openSharedDatabase(url: string, logger: Logger): Promise<SharedDatabase> {
  const instance = newInstanceName();
  const log = logger.child({ component: 'db' });
  const pool = await openPool(url, log, { applicationName: `sealwatch ${instance}` });
  const loadedAt = await feedHorizon(pool);
  const store = new PostgresStore(pool, instance);
  log.info({ instance }, 'shared PostgreSQL store open');
  return {
    url,
    pool,
    instance,
    loadedAt,
    store,
    ownFeedGroups: store.ownFeedGroups,
    alertStore: new PostgresAlertStore(pool),
    smsLedger: new PostgresSmsLedger(pool),
    residentQr: new PostgresResidentQrStore(pool),
    async ackKey() {
      // The first instance's key wins; a link signed on one instance verifies on any.
      await pool.query(
        `INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
        [ACK_KEY_SECRET, randomBytes(32).toString('base64url')],
      );
      const { rows } = await pool.query<{ value: string }>(
        'SELECT value FROM shared_secrets WHERE name = $1',
        [ACK_KEY_SECRET],
      );
      return Buffer.from((rows[0] as { value: string }).value, 'base64url');
    },
    close: () => store.close(),
  };
}
