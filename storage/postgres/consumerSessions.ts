import type pg from 'pg';
import { type CheckedOut, checkOut } from './checkOut.ts';
import type { Pool } from './openPool.ts';

/**
 * Which external-broker sessions (MQTT client ids) belong to a live instance. Each instance holds
 * a session advisory lock on its client id for as long as it runs, on a connection of its own;
 * when it dies the connection closes and the lock is free. Whoever then takes the lock may empty
 * that session (ExternalConsumer.rescue): the instance is certainly not using it.
 */
const SESSION_LOCK_SPACE = 0x5ea1_0003;

export interface SessionClaim {
  clientId: string;
  /** Gives the lock back; `forget`: the session is gone from the broker, forget it here too. */
  release(forget: boolean): Promise<void>;
}

async function tryLock(client: pg.PoolClient, clientId: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
    [SESSION_LOCK_SPACE, clientId],
  );
  return rows[0]?.ok === true;
}

function claim(pool: Pool, held: CheckedOut, clientId: string): SessionClaim {
  return {
    clientId,
    async release(forget) {
      try {
        if (forget) await pool.query('DELETE FROM mqtt_sessions WHERE client_id = $1', [clientId]);
        // A lost connection has given the lock back with it.
        if (held.lost() === null)
          await held.client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
            SESSION_LOCK_SPACE,
            clientId,
          ]);
      } finally {
        held.release();
      }
    },
  };
}

/**
 * Takes this instance's own session lock and registers the session. Waits while another instance
 * is rescuing it (taking the session over meanwhile would fight that rescue), up to `waitMs`.
 */
export async function holdOwnSession(
  pool: Pool,
  clientId: string,
  instance: string,
  waitMs: number,
): Promise<SessionClaim> {
  const held = await checkOut(pool);
  const { client } = held;
  try {
    const deadline = Date.now() + waitMs;
    while (!(await tryLock(client, clientId))) {
      if (Date.now() > deadline) {
        throw new Error(
          `MQTT session ${clientId} is held by another instance (a rescue, or MQTT_CLIENT_ID given to two instances)`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await client.query(
      `INSERT INTO mqtt_sessions (client_id, instance, since) VALUES ($1, $2, $3)
        ON CONFLICT (client_id) DO UPDATE SET instance = excluded.instance, since = excluded.since`,
      [clientId, instance, Date.now()],
    );
  } catch (err) {
    held.release();
    throw err;
  }
  return claim(pool, held, clientId);
}

/** Sessions whose instance is gone, each locked for the caller until it releases the claim. */
export async function claimOrphanedSessions(pool: Pool, ownClientId: string): Promise<SessionClaim[]> {
  const { rows } = await pool.query<{ client_id: string }>(
    'SELECT client_id FROM mqtt_sessions WHERE client_id <> $1 ORDER BY since',
    [ownClientId],
  );
  const claims: SessionClaim[] = [];
  for (const { client_id: clientId } of rows) {
    const held = await checkOut(pool);
    if (await tryLock(held.client, clientId).catch(() => false)) claims.push(claim(pool, held, clientId));
    else held.release();
  }
  return claims;
}
