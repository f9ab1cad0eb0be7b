import type pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { loadPg } from './openPool.ts';

export interface ListenerOptions {
  url: string;
  channels: readonly string[];
  onNotify(channel: string, payload: string): void;
  /**
   * Called after every (re)connection: notifications sent while disconnected are lost, so a
   * caller re-reads what they would have told it.
   */
  onConnect(first: boolean): void;
  logger: Logger;
}

/**
 * One dedicated connection LISTENing on the instances' channels (a pooled connection could not
 * keep a LISTEN). It reconnects with back-off when the server goes away.
 */
export class PgListener {
  private client: pg.Client | null = null;
  private closed = false;
  private connects = 0;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly o: ListenerOptions) {}

  /** Resolves once listening; a server that is down at start is an error (start-up fails). */
  async start(): Promise<void> {
    await this.connect();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const driver = await loadPg();
    const client = new driver.Client({
      connectionString: this.o.url,
      application_name: 'sealwatch-listen',
      keepAlive: true,
    });
    client.on('notification', (n) => this.o.onNotify(n.channel, n.payload ?? ''));
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.o.logger.warn({ err }, 'PostgreSQL LISTEN connection lost; reconnecting');
      this.scheduleReconnect(1);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    for (const channel of this.o.channels) await client.query(`LISTEN ${driver.escapeIdentifier(channel)}`);
    this.client = client;
    this.connects++;
    this.o.onConnect(this.connects === 1);
  }

  private scheduleReconnect(attempt: number): void {
    this.retry = setTimeout(
      () => {
        this.retry = null;
        if (this.closed) return;
        this.connect().catch((err: unknown) => {
          this.o.logger.warn({ err, attempt }, 'PostgreSQL LISTEN reconnect failed');
          this.scheduleReconnect(attempt + 1);
        });
      },
      Math.min(10_000, 250 * 2 ** attempt),
    );
  }
}
