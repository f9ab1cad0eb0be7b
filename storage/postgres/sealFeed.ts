import type { SealCommitted } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { decodeFeedEvents } from './feedEncoding.ts';
import type { Pool } from './openPool.ts';
import type { OwnFeedGroups } from './ownFeedGroups.ts';

/**
 * The seal feed: every instance appends each commit group's messages to `seal_feed` (one row, a
 * JSON array) in the same transaction as their seal state (PostgresStore.commitIngest), and every
 * instance reads the others' rows in commit order, for its live state and page; the alerting
 * owner reads all rows.
 *
 * Commit order, not id order: a transaction that took id 10 can commit after one that took id 11,
 * and a reader that had moved past 11 would never see 10. So rows carry their transaction id and
 * are read ordered by (xid, id), only below the oldest transaction still running: every row there
 * is final, and a row that appears later always sorts after what has been read.
 */
export const SEAL_FEED_CHANNEL = 'sealwatch_seal_feed';

/** A place in the feed; `xid` is PostgreSQL's 64-bit xid8, as text. */
export interface FeedPosition {
  xid: string;
  id: number;
}

export interface FeedRow {
  position: FeedPosition;
  /** The instance that ingested the messages. */
  instance: string;
  /** One commit group's messages, in the order they were applied. */
  events: SealCommitted[];
}

export const formatPosition = (p: FeedPosition): string => `${p.xid}:${p.id}`;

export function parsePosition(text: string): FeedPosition | null {
  const m = /^(\d+):(\d+)$/.exec(text);
  return m ? { xid: m[1] as string, id: Number(m[2]) } : null;
}

/** Where rows committed from now on will appear: everything already committed is before it. */
export async function feedHorizon(pool: Pool): Promise<FeedPosition> {
  const { rows } = await pool.query<{ xid: string }>(
    'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xid',
  );
  return { xid: (rows[0] as { xid: string }).xid, id: 0 };
}

/**
 * Rows after a position that are final, in commit order. `exceptInstance`: an instance's own rows
 * come back without their messages (it has them already; only the position moves past them).
 * ORDER BY names the table's column: a bare `xid` is the select list's text, where '1000' sorts
 * before '999' (rows read out of order and the position moved past rows not yet read: messages
 * skipped, others decided twice, each time transaction ids gained a digit).
 */
export async function readFeed(
  pool: Pool,
  after: FeedPosition,
  limit: number,
  exceptInstance: string | null = null,
): Promise<FeedRow[]> {
  const { rows } = await pool.query<{ id: number; xid: string; instance: string; events: string }>({
    name: 'sealwatch-read-feed',
    text: `SELECT id, xid::text AS xid, instance,
        CASE WHEN instance = $4 THEN '[]' ELSE events END AS events FROM seal_feed
      WHERE (xid, id) > ($1::xid8, $2::bigint) AND xid < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY seal_feed.xid, seal_feed.id LIMIT $3`,
    values: [after.xid, after.id, limit, exceptInstance],
  });
  return rows.map((r) => ({
    position: { xid: r.xid, id: r.id },
    instance: r.instance,
    events: decodeFeedEvents(r.events),
  }));
}

/** One row's messages, by id: an own group the owner does not hold in memory (OwnFeedGroups). */
export async function readFeedEvents(pool: Pool, id: number): Promise<SealCommitted[]> {
  const { rows } = await pool.query<{ events: string }>({
    name: 'sealwatch-read-feed-row',
    text: 'SELECT events FROM seal_feed WHERE id = $1',
    values: [id],
  });
  const row = rows[0];
  if (row === undefined) throw new Error(`seal feed row ${id} is gone`);
  return decodeFeedEvents(row.events);
}

/**
 * Deletes rows at or before `upTo` that are older than `keepMs`: the owner's cursor is the only
 * durable one, and the others' live mirrors are never minutes behind.
 */
export async function pruneFeed(pool: Pool, upTo: FeedPosition, keepMs: number): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM seal_feed WHERE (xid, id) <= ($1::xid8, $2::bigint)
      AND created_at < now() - make_interval(secs => $3::float8 / 1000)`,
    [upTo.xid, upTo.id, keepMs],
  );
  return rowCount ?? 0;
}

export interface FeedTailOptions {
  pool: Pool;
  from: FeedPosition;
  /** Handles rows in feed order; the position moves past them once it resolves. */
  onRows(rows: FeedRow[]): void | Promise<void>;
  logger: Logger;
  /** Rows (commit groups) per read (default 20). */
  batch?: number;
  /** Leave out this instance's own messages (see readFeed). */
  exceptInstance?: string;
  /**
   * This instance's rows come without their messages, which are taken from `groups` (read from the
   * feed when not held there): the alerting owner needs every row's messages, its own included.
   */
  own?: { instance: string; groups: OwnFeedGroups };
  /** Reads this often without a wake-up (default 500 ms): a row held back by another transaction. */
  pollMs?: number;
}

/** Reads the feed from a position on, as rows become final: woken by NOTIFY, polling as a net. */
export class FeedTail {
  private position: FeedPosition;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private rows = 0;
  private readonly batch: number;
  private readonly pollMs: number;

  constructor(private readonly o: FeedTailOptions) {
    this.position = o.from;
    this.batch = o.batch ?? 20;
    this.pollMs = o.pollMs ?? 500;
  }

  get at(): FeedPosition {
    return this.position;
  }

  /** Messages handled since start. */
  get handled(): number {
    return this.rows;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Something was committed: read now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      let full = false;
      try {
        const own = this.o.own;
        const rows = await readFeed(
          this.o.pool,
          this.position,
          this.batch,
          own?.instance ?? this.o.exceptInstance ?? null,
        );
        // One commit group at a time, letting the event loop breathe in between: a page can hold
        // tens of thousands of messages, and ingest and the API must not wait for all of them.
        for (const row of rows) {
          if (!this.running) break;
          if (own && row.instance === own.instance)
            row.events = [
              ...(own.groups.take(row.position.id) ?? (await readFeedEvents(this.o.pool, row.position.id))),
            ];
          await this.o.onRows([row]);
          this.position = row.position;
          this.rows += row.events.length;
          await new Promise((r) => setImmediate(r));
        }
        full = rows.length === this.batch;
        failures = 0;
      } catch (err) {
        failures++;
        this.o.logger.warn({ err, at: formatPosition(this.position), failures }, 'seal feed read failed');
      }
      if (full || !this.running) continue;
      const waitMs = failures > 0 ? Math.min(5_000, 250 * 2 ** failures) : this.pollMs;
      if (!this.woken) await this.sleep(waitMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
