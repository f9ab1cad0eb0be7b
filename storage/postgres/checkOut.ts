/**
 * A client taken from the pool for more than one query: a transaction, a session lock. pg-pool takes its own
 * 'error' listener off a client while it is checked out, so a connection lost meanwhile (the server restarted,
 * the network cut) emits an 'error' nobody listens to, and that ends the process. This listener keeps the
 * error instead; the query in flight fails by itself and its caller decides. release() gives a lost or broken
 * connection back to be destroyed, not reused (the pool puts its own listener back on release).
 */
import type pg from 'pg';

export interface CheckedOut {
  readonly client: pg.PoolClient;
  /** The error the connection reported while checked out, if any. */
  lost(): Error | null;
  /** Back to the pool; destroyed if it was lost or `broken`. Once only. */
  release(broken?: boolean): void;
}

export async function checkOut(pool: pg.Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let lost: Error | null = null;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  let released = false;
  return {
    client,
    lost: () => lost,
    release(broken = false) {
      if (released) return;
      released = true;
      client.removeListener('error', onError);
      client.release(lost ?? broken);
    },
  };
}
