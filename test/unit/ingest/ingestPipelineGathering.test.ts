/**
 * How long a commit group gathers (issue 20.1, PUBACK latency): under a light load a group commits at
 * the next loop turn, even right after another commit; under load it gathers until GATHER_MS (4 ms)
 * after the last commit, so one commit and one fsync serve many messages. Real SQLite store (in
 * memory) and bus; the load is the test's answer (`FixedLoad`, ingestLoad.test.ts tests the real
 * gauge), and timers and the clock are vitest's fake ones, so a group that waits for a timer waits
 * until the test moves the clock. setImmediate stays real: a loop turn is a real one.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import type { LoadGauge } from '../../../ingest/ingestLoad.ts';
import { IngestPipeline, type Placement } from '../../../ingest/ingestPipeline.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';
import { track } from '../../helpers/promiseState.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const placement: Placement = { householdId: 'h1', gridId: 'g1', model: 'native' };
const beat = (sensorId: string, seq: number): SealMessage => ({
  kind: 'heartbeat',
  sensorId,
  dialect: 'native',
  ts: T0 + seq,
  receivedAt: T0 + seq,
  seq,
  door: 'closed',
  battery: 90,
  rssi: -60,
});

class FixedLoad implements LoadGauge {
  counted = 0;
  constructor(public underLoad: boolean) {}
  count(messages: number): void {
    this.counted += messages;
  }
  busy(): boolean {
    return this.underLoad;
  }
}

function rig(underLoad: boolean) {
  const db = new Database(':memory:');
  migrateSqlite(db, logger);
  const load = new FixedLoad(underLoad);
  const pipeline = new IngestPipeline(
    new SqliteStore(db),
    { append: () => undefined } as never,
    new EventBus<ServiceEvents>(logger),
    logger,
    load,
  );
  return { pipeline, load };
}

/** Real loop turns (setImmediate is not faked), and the promise callbacks between them. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('IngestPipeline: how long a commit group gathers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('under a light load, commits a group at the next loop turn, even right after another commit', async () => {
    const { pipeline, load } = rig(false);
    await pipeline.accept(beat('s1', 1), placement);
    const next = track(pipeline.accept(beat('s2', 1), placement));
    await turns(3);
    expect(next.state).toBe('resolved');
    expect(pipeline.getStats()).toMatchObject({ commits: 2, lastBatchSize: 1 });
    expect(load.counted).toBe(2);
  });

  it('under load, gathers what comes until 4 ms after the last commit, in one group', async () => {
    const { pipeline } = rig(true);
    await pipeline.accept(beat('s1', 1), placement);
    const gathered = ['s2', 's3', 's4'].map((id) => track(pipeline.accept(beat(id, 1), placement)));
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['pending', 'pending', 'pending']);
    vi.advanceTimersByTime(3);
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['pending', 'pending', 'pending']);
    vi.advanceTimersByTime(1);
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(pipeline.getStats()).toMatchObject({ commits: 2, lastBatchSize: 3 });
  });
});
