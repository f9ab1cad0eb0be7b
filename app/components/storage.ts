/**
 * Storage: one SQLite file in DATA_DIR, or PostgreSQL shared with the other instances (DATABASE_URL), and the
 * registry (grid, people, households, sensors) loaded from it. Everything else reads and writes through these.
 */
import { mkdirSync } from 'node:fs';
import type { AlertStore } from '../../alerting/alertStore.ts';
import type { SmsLedger } from '../../alerting/notifiers/sms/smsLedger.ts';
import type { ResidentQrStore } from '../../alerting/residentQrStore.ts';
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { Registry } from '../../registry/registry.ts';
import type { Db } from '../../storage/sqlite/openDatabase.ts';
import type { ConfigSections } from '../configSections.ts';
import type { Component } from '../lifecycle.ts';
import {
  openLocalDatabase,
  openSharedDatabase,
  type SharedDatabase,
  type SqliteWalFigures,
  type Store,
  type Stores,
} from '../stores.ts';

export interface StorageComponent extends Component {
  readonly store: Store;
  readonly alertStore: AlertStore;
  readonly smsLedger: SmsLedger;
  readonly residentQr: ResidentQrStore;
  readonly registry: Registry;
  /** The PostgreSQL database the instances share; null on the embedded SQLite file. */
  readonly shared: SharedDatabase | null;
  /** The SQLite connection (null on PostgreSQL): scheduled backups copy the database through it. */
  readonly localDb: Db | null;
  /** The SQLite write-ahead log's figures for /metrics (app/stores.ts); null on PostgreSQL. */
  sqliteWal(): SqliteWalFigures | null;
}

export async function startStorage(
  section: ConfigSections['storage'],
  deps: { bus: EventBus<ServiceEvents>; clock: Clock; logger: Logger },
): Promise<StorageComponent> {
  const { logger } = deps;
  mkdirSync(section.dataDir, { recursive: true, mode: 0o700 });
  const shared = section.databaseUrl ? await openSharedDatabase(section.databaseUrl, logger) : null;
  const local = shared ? null : openLocalDatabase(section.dataDir, logger);
  const stores: Stores = shared ?? (local as Stores);
  const registry = new Registry(stores.store, deps.bus, deps.clock, {
    genericHeartbeat: section.genericHeartbeat,
    policyDefaults: section.policyDefaults,
  });
  const registryLog = logger.child({ component: 'registry' });
  registry.tree.onCycle = (ids) =>
    registryLog.error(
      { code: 'grid_cycle', ids },
      `stored grid nodes form a cycle (${ids.join(' → ')}); walks treat the closing link as broken: give one of them a parent outside it (PATCH /api/grid/:id)`,
    );
  try {
    await registry.load();
  } catch (err) {
    await stores.close();
    throw err;
  }
  return {
    name: 'storage',
    store: stores.store,
    alertStore: stores.alertStore,
    smsLedger: stores.smsLedger,
    residentQr: stores.residentQr,
    registry,
    shared,
    localDb: local?.db ?? null,
    sqliteWal: () => local?.walFigures() ?? null,
    async stop() {
      // Hashes upgraded by the last logins; one lost is made again at that device's next login.
      await registry.flushSecretHashUpgrades().catch(() => {});
      await stores.close();
    },
  };
}
