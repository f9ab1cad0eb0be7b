/**
 * A commit group copies a sensor's recent-sequence window once and grows the copy in place
 * (issue 20.1). The committed state's window must stay as it was until the group is durable: de-dup
 * answers from it at once, so a window running ahead would PUBACK a message never committed. Real
 * SQLite store (in memory) and bus; telemetry is a recording DOUBLE (the spool has its own tests).
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { RECENT_WINDOW } from '../../../ingest/dedup.ts';
import { IngestPipeline, type Placement } from '../../../ingest/ingestPipeline.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const placement: Placement = { householdId: 'h1', gridId: 'g1', model: 'native' };
const beat = (seq: number | null, ts: number): SealMessage => ({
  kind: 'heartbeat',
  sensorId: 's1',
  dialect: 'native',
  ts,
  receivedAt: ts,
  seq,
  door: 'closed',
  battery: 90,
  rssi: -60,
});

function pipeline(): IngestPipeline {
  const db = new Database(':memory:');
  migrateSqlite(db, logger);
  return new IngestPipeline(
    new SqliteStore(db),
    { append: () => undefined } as never,
    new EventBus<ServiceEvents>(logger),
    logger,
  );
}

describe('IngestPipeline: the recent-sequence window of a commit group', () => {
  it('leaves the committed window alone, also when the group starts with a message without a seq', async () => {
    const p = pipeline();
    await p.accept(beat(1, T0), placement);
    const committed = p.state('s1')?.recentSeqs as number[];
    expect(committed).toEqual([1, T0]);
    // One group: no seq first (copies nothing), then two with one.
    const group = [beat(null, T0 + 1), beat(2, T0 + 2), beat(3, T0 + 3)].map((m) => p.accept(m, placement));
    await Promise.all(group);
    expect(committed).toEqual([1, T0]);
    expect(p.state('s1')?.recentSeqs).toEqual([1, T0, 2, T0 + 2, 3, T0 + 3]);
    // Known now: a redelivery of seq 2 is a duplicate, not a new message.
    await p.accept(beat(2, T0 + 2), placement);
    expect(p.getStats().duplicates).toBe(1);
  });

  it('keeps the newest RECENT_WINDOW pairs however many messages one group holds', async () => {
    const p = pipeline();
    const n = RECENT_WINDOW * 3;
    await Promise.all(Array.from({ length: n }, (_, i) => p.accept(beat(i, T0 + i), placement)));
    const window = p.state('s1')?.recentSeqs as number[];
    expect(window).toHaveLength(RECENT_WINDOW * 2);
    expect(window.slice(0, 2)).toEqual([n - RECENT_WINDOW, T0 + n - RECENT_WINDOW]);
    expect(window.slice(-2)).toEqual([n - 1, T0 + n - 1]);
  });
});
