import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SealCommitted } from '../../../core/events.ts';
import { initialSealState } from '../../../core/sealState.ts';
import { openPool, type Pool } from '../../../storage/postgres/openPool.ts';
import { PostgresStore } from '../../../storage/postgres/postgresStore.ts';
import {
  type FeedPosition,
  type FeedRow,
  FeedTail,
  type FeedTailOptions,
  feedHorizon,
  pruneFeed,
  readFeed,
} from '../../../storage/postgres/sealFeed.ts';
import { eventually } from '../../helpers/eventually.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

/**
 * The seal feed against a real PostgreSQL: rows are read in commit order, a row whose transaction
 * is still open is waited for rather than skipped, and the ingest commit writes the feed.
 */
const logger = pino({ level: 'silent' });
const T = Date.parse('2026-03-01T08:00:00Z');

const committed = (sensorId: string, seq: number): SealCommitted => {
  const before = initialSealState(sensorId, T);
  return {
    message: {
      sensorId,
      kind: 'event',
      type: 'open',
      seq,
      ts: T + seq,
      receivedAt: T + seq,
      dialect: 'native',
    } as unknown as SealCommitted['message'],
    before,
    after: { ...before, door: 'open', lastSeen: T + seq, messages: 1, updatedAt: T + seq },
    householdId: 'h1',
    gridId: 'g',
  };
};

describe('seal feed (PostgreSQL)', () => {
  let server: PostgresServer;
  let pool: Pool;
  let url: string;

  beforeAll(async () => {
    server = await startPostgres();
    url = server.url;
    pool = await openPool(url, logger, { max: 8 });
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  /** A running tail from `from`, polling every 20 ms, with the rows it has read so far. */
  const startTail = (from: FeedPosition, options: Partial<FeedTailOptions> = {}) => {
    const seen: FeedRow[] = [];
    const tail = new FeedTail({
      pool,
      from,
      logger,
      pollMs: 20,
      ...options,
      onRows: (rows) => void seen.push(...rows),
    });
    tail.start();
    return { tail, seen };
  };

  const insertRow = (db: pg.ClientBase | Pool, sensorId: string, seq: number) =>
    db.query('INSERT INTO seal_feed (instance, events) VALUES ($1, $2)', [
      'test',
      JSON.stringify([committed(sensorId, seq)]),
    ]);

  it('waits for a transaction that took an earlier id and commits later, then reads it before the later ones', async () => {
    const from = await feedHorizon(pool);
    const slow = new pg.Client({ connectionString: url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await insertRow(slow, 'slow', 1); // the lower id, still uncommitted
      await insertRow(pool, 'fast', 2); // committed at once, higher id
      // The committed row is held back while the older transaction runs: reading it now and
      // moving past it would skip the slow row for ever.
      expect(await readFeed(pool, from, 100)).toEqual([]);
      await slow.query('COMMIT');
      const rows = await readFeed(pool, from, 100);
      expect(rows.map((r) => r.events[0]?.message.sensorId)).toEqual(['slow', 'fast']);
      // From the last position on, nothing is read twice.
      expect(await readFeed(pool, rows[1]!.position, 100)).toEqual([]);
    } finally {
      await slow.end();
    }
  });

  it('reads in transaction-id order across a power of ten (99 before 100), not in the order of their text', async () => {
    // Ids far below every other test's rows, so these two come first from the very beginning.
    for (const xid of ['100', '99']) {
      await pool.query('INSERT INTO seal_feed (xid, instance, events) VALUES ($1::xid8, $2, $3)', [
        xid,
        'test',
        JSON.stringify([committed(`x${xid}`, Number(xid))]),
      ]);
    }
    const rows = await readFeed(pool, { xid: '0', id: 0 }, 2);
    expect(rows.map((r) => r.position.xid)).toEqual(['99', '100']);
    expect(await readFeed(pool, rows[0]!.position, 1)).toMatchObject([{ position: { xid: '100' } }]);
  });

  it('a tail under concurrent writers that commit in random order reads every row exactly once', async () => {
    const from = await feedHorizon(pool);
    const { tail, seen } = startTail(from, { batch: 50 });
    const writers = 6;
    const perWriter = 40;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const c = await pool.connect();
        try {
          for (let i = 0; i < perWriter; i++) {
            await c.query('BEGIN');
            await insertRow(c, `w${w}`, i);
            // Hold some transactions open so that later ids commit first.
            if (Math.random() < 0.5) await new Promise((r) => setTimeout(r, Math.random() * 15));
            await c.query('COMMIT');
          }
        } finally {
          c.release();
        }
      }),
    );
    await eventually(async () => seen.length >= writers * perWriter, 10_000, 'every row read');
    await new Promise((r) => setTimeout(r, 100));
    await tail.stop();
    expect(seen).toHaveLength(writers * perWriter);
    expect(new Set(seen.map((r) => r.position.id)).size).toBe(writers * perWriter);
    // Each writer's rows arrive in its own commit order.
    for (let w = 0; w < writers; w++) {
      const seqs = seen
        .filter((r) => r.events[0]?.message.sensorId === `w${w}`)
        .map((r) => r.events[0]?.message.seq);
      expect(seqs).toEqual([...Array(perWriter).keys()]);
    }
  });

  it('the ingest commit of an instance appends its messages to the feed in the same transaction, and notifies', async () => {
    const store = new PostgresStore(pool, 'instance-a');
    await pool.query(`INSERT INTO grid_nodes (id, name, parent_id, level, created_at) VALUES ('g', 'g', NULL, 'county', 0)
      ON CONFLICT DO NOTHING`);
    await pool.query(`INSERT INTO households (id, grid_id, address, contact, created_at) VALUES ('h1', 'g', NULL, NULL, 0)
      ON CONFLICT DO NOTHING`);
    await pool.query(`INSERT INTO sensors (id, household_id, model, secret_hash, created_at) VALUES ('s1', 'h1', 'native', 'x', 0)
      ON CONFLICT DO NOTHING`);
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.query('LISTEN sealwatch_seal_feed');
    try {
      const from = await feedHorizon(pool);
      const events = [committed('s1', 7), committed('s1', 8)];
      await store.commitIngest({ states: [events[1]!.after], doorEvents: [], events });
      const rows = await readFeed(pool, from, 10);
      // One row for the group, its messages in order.
      expect(rows.map((r) => [r.instance, r.events])).toEqual([['instance-a', events]]);
      await eventually(async () => notified.includes('instance-a'), 2_000, 'NOTIFY at commit');
      // A store without an instance name (one instance) writes no feed.
      await new PostgresStore(pool).commitIngest({ states: [events[1]!.after], doorEvents: [], events });
      expect(await readFeed(pool, rows[0]!.position, 10)).toEqual([]);
      // Pruning keeps what is younger than the retention, and removes what is older.
      expect(await pruneFeed(pool, rows[0]!.position, 60_000)).toBe(0);
      expect(await pruneFeed(pool, rows[0]!.position, 0)).toBeGreaterThanOrEqual(1);
      expect(await readFeed(pool, from, 10)).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it("the alerting owner's tail takes its own groups from memory, reads the ones it does not hold, and the others' rows", async () => {
    const store = new PostgresStore(pool, 'owner');
    const from = await feedHorizon(pool);
    const before = [committed('s1', 20)];
    const held = [committed('s1', 21), committed('s1', 22)];
    // Committed before this instance owned alerting: not held, read back from the feed.
    await store.commitIngest({ states: [before[0]!.after], doorEvents: [], events: before });
    store.ownFeedGroups.keep(true);
    await insertRow(pool, 'other', 1);
    await store.commitIngest({ states: [held[1]!.after], doorEvents: [], events: held });
    const { tail, seen } = startTail(from, { own: { instance: 'owner', groups: store.ownFeedGroups } });
    try {
      await eventually(async () => seen.length >= 3, 5_000, 'three rows');
    } finally {
      await tail.stop();
      store.ownFeedGroups.keep(false);
    }
    expect(seen.map((r) => r.instance)).toEqual(['owner', 'test', 'owner']);
    expect(seen[0]!.events).toEqual(before);
    expect(seen[1]!.events.map((e) => e.message.sensorId)).toEqual(['other']);
    // The held group is the committed messages themselves, not a parsed copy, and is handed out once.
    expect(seen[2]!.events).toHaveLength(2);
    expect(seen[2]!.events[0]).toBe(held[0]);
    expect(store.ownFeedGroups.take(seen[2]!.position.id)).toBeUndefined();
  });
});
