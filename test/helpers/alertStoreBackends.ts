/**
 * The alert store on both backends for contract tests (storeBackends.ts): SQLite files and databases
 * on one real PostgreSQL server, a fresh one per `open()`. Call at the top level of a test file.
 */
import type { AlertStore } from '../../alerting/alertStore.ts';
import { PostgresAlertStore } from '../../storage/postgres/postgresAlertStore.ts';
import { SqliteAlertStore } from '../../storage/sqlite/alertStore.ts';
import { storeBackends } from './storeBackends.ts';

export function alertStoreBackends(prefix: string): Array<{ name: string; open(): Promise<AlertStore> }> {
  return storeBackends<AlertStore>(prefix, {
    sqlite: (db) => new SqliteAlertStore(db),
    postgres: (pool) => new PostgresAlertStore(pool),
  });
}
