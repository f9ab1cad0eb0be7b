/**
 * The registry's store on both backends (databaseBackends, alertStoreBackends.ts): SQLite files and
 * databases on one real PostgreSQL server, a fresh one per `open()`. Call at the top level of a test
 * file.
 */
import type { Store } from '../../app/stores.ts';
import { PostgresStore } from '../../storage/postgres/postgresStore.ts';
import { SqliteStore } from '../../storage/sqlite/sqliteStore.ts';
import { databaseBackends } from './alertStoreBackends.ts';

export function registryStoreBackends(prefix: string): Array<{ name: string; open(): Promise<Store> }> {
  return databaseBackends<Store>(prefix, {
    sqlite: (db) => new SqliteStore(db),
    postgres: (pool) => new PostgresStore(pool),
  });
}
