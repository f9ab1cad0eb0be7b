import { describe, expect, it } from 'vitest';
import type { AlertStore } from '../../../alerting/alertStore.ts';
import type { ResidentQrStore } from '../../../alerting/residentQrStore.ts';
import { auditEntry } from '../../../registry/auditTrail.ts';
import { PostgresAlertStore } from '../../../storage/postgres/postgresAlertStore.ts';
import { PostgresResidentQrStore } from '../../../storage/postgres/residentQrStore.ts';
import { sqliteParams } from '../../../storage/reportRows.ts';
import { SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import { SqliteResidentQrStore } from '../../../storage/sqlite/residentQrStore.ts';
import { databaseBackends } from '../../helpers/alertStoreBackends.ts';

/**
 * The households' QR codes (alerting/residentQrStore.ts) against SQLite and a real PostgreSQL: a
 * new code revokes the one in force with its audit entry in the same write, the announcements of a
 * day are counted, and removing the household removes its codes. A fresh database per test.
 */
const T = Date.parse('2026-12-05T00:03:00Z');

interface Backend {
  qr: ResidentQrStore;
  alerts: AlertStore;
  /** One statement with `$n` placeholders; its rows. */
  sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
}

const BACKENDS = databaseBackends<Backend>('qr', {
  sqlite: (db) => ({
    qr: new SqliteResidentQrStore(db),
    alerts: new SqliteAlertStore(db),
    async sql(text, values = []) {
      const st = db.prepare(sqliteParams(text));
      if (st.reader) return st.all(...values) as Record<string, unknown>[];
      st.run(...values);
      return [];
    },
  }),
  postgres: (pool) => ({
    qr: new PostgresResidentQrStore(pool),
    alerts: new PostgresAlertStore(pool),
    sql: async (text, values = []) => (await pool.query(text, values)).rows,
  }),
});

const code = (tokenHash: string, createdAt: number) => ({
  tokenHash,
  householdId: 'h1',
  createdBy: 'wang',
  createdAt,
});
const audit = (at: number, action: string) =>
  auditEntry(at, { name: 'wang' }, { entity: 'residentQr', entityId: 'h1', action, gridId: 'g1' }, null, {
    createdAt: at,
  });

describe.each(BACKENDS)('resident QR codes on $name', (backend) => {
  const withHousehold = async () => {
    const b = await backend.open();
    await b.sql(
      "INSERT INTO grid_nodes (id, name, parent_id, level, created_at) VALUES ('g1', 'g', NULL, 'village', 0)",
    );
    await b.sql(
      "INSERT INTO households (id, grid_id, address, contact, created_at) VALUES ('h1', 'g1', NULL, NULL, 0)",
    );
    return b;
  };

  it('a new code revokes the one in force, each with its audit entry in the same write', async () => {
    const b = await withHousehold();
    await b.qr.replaceResidentQr(code('hash-1', T), audit(T, 'create'));
    expect(await b.qr.residentQrOf('h1')).toEqual({ ...code('hash-1', T), revokedAt: null });
    await b.qr.replaceResidentQr(code('hash-2', T + 1000), audit(T + 1000, 'replace'));
    expect(await b.qr.residentQrByHash('hash-1')).toEqual({ ...code('hash-1', T), revokedAt: T + 1000 });
    expect(await b.qr.residentQrOf('h1')).toEqual({ ...code('hash-2', T + 1000), revokedAt: null });
    expect(await b.qr.residentQrByHash('hash-3')).toBeUndefined();
    const trail = await b.sql("SELECT action FROM audit_log WHERE entity = 'residentQr' ORDER BY seq");
    expect(trail.map((r) => r.action)).toEqual(['create', 'replace']);
  });

  it('a code the database refuses leaves the old one in force and no audit entry', async () => {
    const b = await withHousehold();
    await b.qr.replaceResidentQr(code('hash-1', T), audit(T, 'create'));
    // The same hash again breaks the primary key: nothing of the write may stay.
    await expect(
      b.qr.replaceResidentQr(code('hash-1', T + 1000), audit(T + 1000, 'replace')),
    ).rejects.toThrow();
    expect(await b.qr.residentQrOf('h1')).toEqual({ ...code('hash-1', T), revokedAt: null });
    expect(await b.sql("SELECT action FROM audit_log WHERE entity = 'residentQr'")).toHaveLength(1);
  });

  it("counts the household's announcements starting in [from, to); removing the household removes its codes", async () => {
    const b = await withHousehold();
    const a = (id: string, start: number, householdId = 'h1') => ({
      id,
      householdId,
      start,
      end: start + 600_000,
      reason: 'x',
      by: 'y',
      createdAt: start,
    });
    await b.alerts.apply({
      announcements: [a('a1', T - 1), a('a2', T), a('a3', T + 5), a('a4', T + 10), a('a5', T, 'h2')],
    });
    expect(await b.qr.countAnnouncementsStarting('h1', T, T + 10)).toBe(2);
    await b.qr.replaceResidentQr(code('hash-1', T), audit(T, 'create'));
    await b.sql("DELETE FROM households WHERE id = 'h1'");
    expect(await b.qr.residentQrByHash('hash-1')).toBeUndefined();
  });
});
