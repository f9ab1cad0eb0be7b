/**
 * A store on both backends for contract tests: SQLite files in a temporary directory and databases on
 * one real PostgreSQL server (test/helpers/postgres.ts), a fresh, migrated database per `open()`.
 * `make` builds the store under test from either. Call at the top level of a test file: it
 * registers the file's beforeAll/afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { openPool, type Pool } from '../../storage/postgres/openPool.ts';
import { type Db, openDatabase } from '../../storage/sqlite/openDatabase.ts';
import { type PostgresServer, startPostgres } from './postgres.ts';

export function storeBackends<S>(
  prefix: string,
  make: { sqlite(db: Db): S; postgres(pool: Pool): S },
): Array<{ name: string; open(): Promise<S> }> {
  const logger = pino({ level: 'silent' });
  let server: PostgresServer | null = null;
  let databases = 0;
  const pools: Pool[] = [];
  const dir = mkdtempSync(join(tmpdir(), `sealwatch-${prefix}-`));
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    // A store's close() may have ended its pool already.
    for (const p of pools) if (!p.ended) await p.end();
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
