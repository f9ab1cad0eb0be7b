import type pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { loadPg, type Pool } from './openPool.ts';

/**
 * Key of the session advisory lock held by the alerting owner (distinct from the migration lock).
 * The lock lives as long as the owner's connection: a crashed or killed owner's connection closes,
 * PostgreSQL releases the lock, and the next instance that tries takes it.
 */
export const ALERTING_OWNER_LOCK_KEY = 0x5ea1_0002;

export interface OwnerLockOptions {
  url: string;
  /** This instance, as named in logs and in `alerting_owner`. */
  instance: string;
  /** Where the other instances reach this one's HTTP API (they forward alerting calls here). */
  instanceUrl: string;
  /** How often a follower tries to take the lock and the owner checks its connection (ms). */
  pollMs: number;
  /** This instance became the owner. A throw gives the lock back. */
  onAcquired(): Promise<void>;
  /** The owner's lock connection failed: another instance may own alerting already. */
  onLost(err: Error): void;
  logger: Logger;
}

/**
 * Elects the one instance that runs alerting: sweeps, escalations, the outbox and the daily
 * report happen there only, so no two instances ever both send or escalate.
 */
export class OwnerLock {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private owner = false;
  private stopped = false;
  /** Said once: this instance tried and another holds the lock. */
  private following = false;

  constructor(private readonly o: OwnerLockOptions) {}

  get isOwner(): boolean {
    return this.owner;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    this.owner = false;
    // Closing the session releases the lock at once, for the next owner.
    await client?.end().catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule(this.o.pollMs));
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      const client = await this.connection();
      if (this.owner) {
        // A dead connection must be noticed before the owner keeps deciding on its own.
        await client.query('SELECT 1');
        return;
      }
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        ALERTING_OWNER_LOCK_KEY,
      ]);
      if (!rows[0]?.ok || this.stopped) {
        if (!this.following && !this.stopped) {
          this.following = true;
          this.o.logger.info(
            { instance: this.o.instance },
            'another instance owns alerting; this one follows',
          );
        }
        return;
      }
      await client.query(
        `INSERT INTO alerting_owner (id, instance, url, since) VALUES (1, $1, $2, $3)
          ON CONFLICT (id) DO UPDATE SET instance = excluded.instance, url = excluded.url, since = excluded.since`,
        [this.o.instance, this.o.instanceUrl, Date.now()],
      );
      this.owner = true;
      this.o.logger.info({ instance: this.o.instance }, 'this instance owns alerting');
      try {
        await this.o.onAcquired();
      } catch (err) {
        this.o.logger.error({ err }, 'alerting failed to start; giving the ownership back');
        this.owner = false;
        await client.query('SELECT pg_advisory_unlock($1)', [ALERTING_OWNER_LOCK_KEY]);
      }
    } catch (err) {
      this.dropConnection(err as Error);
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new (await loadPg()).Client({
      connectionString: this.o.url,
      application_name: 'sealwatch-owner-lock',
      keepAlive: true,
      // A query that hangs (server gone without a reset) counts as a lost connection.
      query_timeout: Math.max(2_000, this.o.pollMs * 2),
    });
    client.on('error', (err) => this.dropConnection(err));
    await client.connect();
    this.client = client;
    return client;
  }

  private dropConnection(err: Error): void {
    const client = this.client;
    this.client = null;
    client?.end().catch(() => undefined);
    if (this.owner) {
      this.owner = false;
      this.o.onLost(err);
    } else if (!this.stopped) {
      this.o.logger.warn({ err }, 'alerting ownership check failed; retrying');
    }
  }
}

/** The owner's HTTP address, if an instance holds the lock now. */
export async function currentOwnerUrl(pool: Pool): Promise<{ instance: string; url: string } | null> {
  const { rows } = await pool.query<{ instance: string; url: string }>(
    `SELECT instance, url FROM alerting_owner
      WHERE id = 1 AND EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = 0 AND objid = $1 AND objsubid = 1)`,
    [ALERTING_OWNER_LOCK_KEY],
  );
  return rows[0] ?? null;
}
