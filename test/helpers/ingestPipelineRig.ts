import Database from 'better-sqlite3';
import pino from 'pino';
import { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { SealMessage } from '../../core/sealMessage.ts';
import type { LoadGauge } from '../../ingest/ingestLoad.ts';
import { IngestPipeline, type Placement } from '../../ingest/ingestPipeline.ts';
import type { IngestStore } from '../../ingest/ingestStore.ts';
import { migrateSqlite } from '../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../storage/sqlite/sqliteStore.ts';

/** What the ingest pipeline's unit tests build and feed it: one place instead of a copy per test file. */

const logger = pino({ level: 'silent' });

/** The device time of seq 0 in `heartbeat`'s messages. */
export const HEARTBEAT_T0 = Date.UTC(2026, 0, 10, 2, 0, 0);

/** Where every test sensor sits. */
export const PLACEMENT: Placement = { householdId: 'h1', gridId: 'g1', model: 'native' };

/**
 * A native heartbeat, door closed, sent and received at `ts` (by default `seq` ms after HEARTBEAT_T0:
 * each seq a message of its own).
 */
export const heartbeat = (
  sensorId: string,
  seq: number | null,
  ts = HEARTBEAT_T0 + (seq ?? 0),
): SealMessage => ({
  kind: 'heartbeat',
  sensorId,
  dialect: 'native',
  ts,
  receivedAt: ts,
  seq,
  door: 'closed',
  battery: 90,
  rssi: -60,
});

/** The real SQLite store on a migrated database in memory. */
export function memorySqliteStore(): SqliteStore {
  const db = new Database(':memory:');
  migrateSqlite(db, logger);
  return new SqliteStore(db);
}

/**
 * The pipeline over `store`, with its own bus unless one is given, and the real load gauge unless a
 * test gives its own. Telemetry is a DOUBLE that keeps nothing: the spool has its own tests.
 */
export function pipelineOver(
  store: IngestStore,
  options: { bus?: EventBus<ServiceEvents>; load?: LoadGauge } = {},
): IngestPipeline {
  return new IngestPipeline(
    store,
    { append: () => undefined } as never,
    options.bus ?? new EventBus<ServiceEvents>(logger),
    logger,
    options.load,
  );
}
