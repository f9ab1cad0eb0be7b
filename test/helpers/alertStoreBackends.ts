/**
 * The alert store (or any store: databaseBackends) on both backends for contract tests: SQLite files in a temporary directory and
 * databases on one real PostgreSQL server (test/helpers/postgres.ts). A fresh database per `open()`.
 * Call at the top level of a test file: it registers the file's beforeAll/afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { AlertStore } from '../../alerting/alertStore.ts';
import { openPool, type Pool } from '../../storage/postgres/openPool.ts';
import { PostgresAlertStore } from '../../storage/postgres/postgresAlertStore.ts';
import { SqliteAlertStore } from '../../storage/sqlite/alertStore.ts';
import { type Db, openDatabase } from '../../storage/sqlite/openDatabase.ts';
import { type PostgresServer, startPostgres } from './postgres.ts';

export function alertStoreBackends(prefix: string): Array<{ name: string; open(): Promise<AlertStore> }> {
  return databaseBackends<AlertStore>(prefix, {
    sqlite: (db) => new SqliteAlertStore(db),
    postgres: (pool) => new PostgresAlertStore(pool),
  });
}

/**
 * Any store (or set of stores) made on a fresh database of each kind: `sqlite` gets the file's
 * connection, `postgres` a pool on a new database of the shared server.
 */
export function databaseBackends<T>(
  prefix: string,
  make: { sqlite(db: Db): T; postgres(pool: Pool): T },
): Array<{ name: string; open(): Promise<T> }> {
  const logger = pino({ level: 'silent' });
  let server: PostgresServer | null = null;
  let databases = 0;
  const pools: Pool[] = [];
  const dir = mkdtempSync(join(tmpdir(), `sealwatch-${prefix}-`));
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const p of pools) await p.end();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return [
    {
      name: 'SQLite',
      open: async () => make.sqlite(openDatabase(join(dir, `${++databases}.db`), logger)),
    },
    {
      name: 'PostgreSQL',
      async open() {
        const url = await (server as PostgresServer).createDatabase(`${prefix}_${++databases}`);
        const pool = await openPool(url, logger, { max: 2 });
        pools.push(pool);
        return make.postgres(pool);
      },
    },
  ];
}
