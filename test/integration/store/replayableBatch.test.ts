/**
 * A delivery's outcome is a replayable batch (alerting/alertStore.ts AlertBatch.replayable): a resend
 * writes it again, so its commit does not wait for the disk. SQLite commits it at synchronous=NORMAL
 * (storage/sqlite/unsyncedCommit.ts) and puts the connection back to FULL; PostgreSQL commits it with
 * synchronous_commit=off for that transaction only. Every other batch keeps waiting for the disk.
 * What each transaction ran under is read inside it, as the store wrote the alert's history line.
 *
 * A power cut cannot be staged here: that NORMAL differs from FULL in WAL mode only by the sync at
 * commit is SQLite's (https://www.sqlite.org/pragma.html#pragma_synchronous), and that such a commit
 * may be lost only in a crash of the server or the machine is PostgreSQL's
 * (https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT).
 */
import { describe, expect, it } from 'vitest';
import type { AlertChange, AlertChangeKind } from '../../../alerting/alertModel.ts';
import type { AlertBatch, AlertStore, OutboxRow } from '../../../alerting/alertStore.ts';
import type { Pool } from '../../../storage/postgres/openPool.ts';
import { PostgresAlertStore } from '../../../storage/postgres/postgresAlertStore.ts';
import { SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import type { Db } from '../../../storage/sqlite/openDatabase.ts';
import { databaseBackends } from '../../helpers/alertStoreBackends.ts';

const T0 = Date.UTC(2026, 11, 6, 6, 0, 0);

interface Rig {
  store: AlertStore;
  /** What each alert-history line's transaction ran under, in order: 'FULL' / 'NORMAL' or 'on' / 'off'. */
  seen(): Promise<string[]>;
  /** The connection's setting after the batches. */
  after(): Promise<string>;
}

const SQLITE_LEVELS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** The SQLite connection, its statement that writes a history line reading the setting first. */
function sqliteRig(db: Db): Rig {
  const seen: string[] = [];
  const level = () => SQLITE_LEVELS[Number(db.pragma('synchronous', { simple: true }))] ?? '?';
  const watching = new Proxy(db, {
    get(target, key) {
      if (key !== 'prepare') return Reflect.get(target, key, target);
      return (sql: string) => {
        const statement = target.prepare(sql);
        if (!sql.startsWith('INSERT INTO alert_changes')) return statement;
        const run = statement.run.bind(statement);
        return Object.assign(statement, {
          run: (...args: unknown[]) => {
            seen.push(level());
            return run(...args);
          },
        });
      };
    },
  });
  return { store: new SqliteAlertStore(watching), seen: async () => seen, after: async () => level() };
}

/** The PostgreSQL database, with a trigger that notes the transaction's synchronous_commit. */
async function postgresRig(pool: Pool): Promise<Rig> {
  await pool.query(`
    CREATE TABLE seen_sync (seq serial PRIMARY KEY, setting text NOT NULL);
    CREATE FUNCTION note_sync() RETURNS trigger AS $$
      BEGIN INSERT INTO seen_sync (setting) VALUES (current_setting('synchronous_commit')); RETURN NEW; END
    $$ LANGUAGE plpgsql;
    CREATE TRIGGER note_sync AFTER INSERT ON alert_changes FOR EACH ROW EXECUTE FUNCTION note_sync();`);
  return {
    store: new PostgresAlertStore(pool),
    seen: async () =>
      (await pool.query('SELECT setting FROM seen_sync ORDER BY seq')).rows.map((r) => String(r.setting)),
    // The pool has two connections: both are asked, so SET LOCAL cannot have stayed on either.
    after: async () => {
      const settings = await Promise.all(
        [0, 1].map(async () => {
          const client = await pool.connect();
          try {
            return String((await client.query('SHOW synchronous_commit')).rows[0]?.synchronous_commit);
          } finally {
            client.release();
          }
        }),
      );
      return [...new Set(settings)].join(',');
    },
  };
}

const backends = databaseBackends<Promise<Rig>>('replayable', {
  sqlite: async (db) => sqliteRig(db),
  postgres: (pool) => postgresRig(pool),
});

const row: OutboxRow = {
  id: 'o-1',
  alertId: 'a-1',
  kind: 'alert',
  channel: 'webhook',
  recipientId: 'w-1',
  // Stored as JSON text: its shape does not matter here.
  notification: { subject: '门磁告警' } as unknown as OutboxRow['notification'],
  status: 'pending',
  attempts: 0,
  createdAt: T0,
  firstAttemptAt: null,
  nextAttemptAt: T0,
  deliveredAt: null,
  lastError: null,
};

const historyLine = (kind: AlertChangeKind, at: number): AlertChange => ({
  alertId: 'a-1',
  kind,
  at,
  actor: 'system',
  detail: {},
});

describe.each(backends)('a replayable batch on $name', (backend) => {
  it('commits without waiting for the disk; the batches before and after it still wait', async () => {
    const rig = await backend.open();
    const raise: AlertBatch = {
      alerts: [
        {
          id: 'a-1',
          type: 'breach',
          sensorId: 's-1',
          householdId: 'h-1',
          gridId: 'g-1',
          severity: 'critical',
          status: 'open',
          assignee: 'w-1',
          openedAt: T0,
          count: 1,
          escalationLevel: 0,
          detail: {},
        },
      ],
      changes: [historyLine('opened', T0)],
      outbox: [row],
    };
    await rig.store.apply(raise);
    const delivered: AlertBatch = {
      outboxUpdates: [
        {
          id: 'o-1',
          status: 'delivered',
          attempts: 1,
          firstAttemptAt: T0 + 5,
          nextAttemptAt: null,
          deliveredAt: T0 + 5,
          lastError: null,
        },
      ],
      changes: [historyLine('notified', T0 + 5)],
      replayable: true,
    };
    await rig.store.apply(delivered);
    await rig.store.apply({
      changes: [historyLine('updated', T0 + 9)],
    });

    const waits = backend.name === 'SQLite' ? 'FULL' : 'on';
    const doesNot = backend.name === 'SQLite' ? 'NORMAL' : 'off';
    expect(await rig.seen()).toEqual([waits, doesNot, waits]);
    expect(await rig.after()).toBe(waits);
    // Written all the same: the row is delivered and its history has the three lines.
    expect((await rig.store.deliveries('a-1')).map((d) => d.status)).toEqual(['delivered']);
    expect((await rig.store.changes('a-1')).map((c) => c.kind)).toEqual(['opened', 'notified', 'updated']);
  });
});
