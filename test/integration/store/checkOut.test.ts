/**
 * A pooled PostgreSQL connection lost while checked out (a transaction, a session lock) must fail the work in
 * flight, not the process: pg-pool takes its own 'error' listener off a checked-out client, and an 'error'
 * event nobody listens to throws. Here the server ends the backend of a transaction in progress
 * (pg_terminate_backend, as a server restart or an administrator would).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOut } from '../../../storage/postgres/checkOut.ts';
import { openPool, type Pool } from '../../../storage/postgres/openPool.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

describe('checkOut (storage/postgres/checkOut.ts)', () => {
  let server: PostgresServer;
  let pool: Pool;
  let admin: Pool;

  beforeAll(async () => {
    server = await startPostgres();
    const url = await server.createDatabase('checkout');
    const logger = pino({ level: 'silent' });
    pool = await openPool(url, logger, { max: 2 });
    admin = await openPool(url, logger, { max: 1 });
  });

  afterAll(async () => {
    await pool?.end();
    await admin?.end();
    await server?.close();
  });

  it('a connection ended by the server mid-transaction fails that transaction; the pool goes on', async () => {
    const held = await checkOut(pool);
    await held.client.query('BEGIN');
    const { rows } = await held.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // Its outcome is taken at once: the rejection may come before pg_terminate_backend's own answer,
    // and a rejection without a handler by then counts as unhandled.
    const sleeping = held.client.query('SELECT pg_sleep(30)').then(
      () => 'finished',
      (err: Error) => err,
    );
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    expect(await sleeping).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 100)); // the socket's own 'error' event, if any, comes after
    held.release(true);
    // The lost connection was destroyed, not reused: the next one works.
    const next = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(next.rows[0]!.one).toBe(1);
  });

  it('release is once only, and a healthy connection goes back to the pool', async () => {
    const held = await checkOut(pool);
    expect(held.lost()).toBeNull();
    held.release();
    held.release();
    expect(pool.idleCount).toBeGreaterThanOrEqual(1);
  });
});
