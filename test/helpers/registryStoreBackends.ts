/**
 * The registry's store on both backends, as alertStoreBackends.ts gives the alert store: SQLite files
 * in a temporary directory and databases on one real PostgreSQL server (test/helpers/postgres.ts). A
 * fresh, migrated database per `open()`. Call at the top level of a test file: it registers the
 * file's beforeAll/afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../app/stores.ts';
import { openPool } from '../../storage/postgres/openPool.ts';
import { PostgresStore } from '../../storage/postgres/postgresStore.ts';
import { openDatabase } from '../../storage/sqlite/openDatabase.ts';
import { SqliteStore } from '../../storage/sqlite/sqliteStore.ts';
import { type PostgresServer, startPostgres } from './postgres.ts';

export function registryStoreBackends(prefix: string): Array<{ name: string; open(): Promise<Store> }> {
  const logger = pino({ level: 'silent' });
  let server: PostgresServer | null = null;
  let databases = 0;
  const dir = mkdtempSync(join(tmpdir(), `sealwatch-${prefix}-`));
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return [
    {
      name: 'SQLite',
      open: async () => new SqliteStore(openDatabase(join(dir, `${++databases}.db`), logger)),
    },
    {
      name: 'PostgreSQL',
      async open() {
        const url = await (server as PostgresServer).createDatabase(`${prefix}_${++databases}`);
        return new PostgresStore(await openPool(url, logger, { max: 2 }));
      },
    },
  ];
}
