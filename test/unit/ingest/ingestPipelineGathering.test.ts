/**
 * How long a commit group gathers (ingest/ingestPipeline.ts, GATHER_MS and the rule above it): at a
 * light load a group commits at the next loop turn; under load it gathers, so one fsync serves many
 * messages. Load is judged over the last 100 ms (ingest/ingestLoad.ts), not from the last group: a
 * burst that arrived in one loop turn is no load (a load generator's burst of 26 messages once made
 * the next group wait 4 ms). The judgement itself, on a clock the test drives: ingestLoad.test.ts.
 *
 * Real SQLite store (in memory), wrapped to record when each group's transaction ran.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { IngestPipeline, type Placement } from '../../../ingest/ingestPipeline.ts';
import type { IngestCommit, IngestStore } from '../../../ingest/ingestStore.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const placement: Placement = { householdId: 'h1', gridId: 'g1', model: 'native' };
let seq = 0;
const beat = (sensorId: string): SealMessage => {
  seq++;
  return {
    kind: 'heartbeat',
    sensorId,
    dialect: 'native',
    ts: T0 + seq,
    receivedAt: T0 + seq,
    seq,
    door: 'closed',
    battery: 90,
    rssi: -60,
  };
};

class TimedStore implements IngestStore {
  readonly commitTimes: number[] = [];
  constructor(readonly inner: SqliteStore) {}
  loadSealStates() {
    return this.inner.loadSealStates();
  }
  commitIngest(commit: IngestCommit): Promise<boolean> {
    this.commitTimes.push(performance.now());
    return this.inner.commitIngest(commit);
  }
}

function rig() {
  const db = new Database(':memory:');
  migrateSqlite(db, logger);
  const store = new TimedStore(new SqliteStore(db));
  const pipeline = new IngestPipeline(
    store,
    { append: () => undefined } as never,
    new EventBus<ServiceEvents>(logger),
    logger,
  );
  return { store, pipeline };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('IngestPipeline: how long a group gathers', () => {
  it('commits a lone message at the next loop turn after a burst that came in one turn', async () => {
    const { store, pipeline } = rig();
    await Promise.all(Array.from({ length: 30 }, (_, i) => pipeline.accept(beat(`s${i}`), placement)));
    expect(store.commitTimes).toHaveLength(1);

    const lone = pipeline.accept(beat('s0'), placement);
    await nextTurn();
    await nextTurn();
    // The rule before judged load from the last group (30 messages in under a ms: "30 a ms") and
    // made this one wait out a 4 ms gap.
    expect(store.commitTimes).toHaveLength(2);
    await lone;
  });
});
