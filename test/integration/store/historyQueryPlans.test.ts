import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertQuery } from '../../../alerting/alertStore.ts';
import { OUTBOX_QUEUE_SQL, SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import { SqliteGatewayWrites } from '../../../storage/sqlite/gatewayWrites.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { type Db, openDatabase } from '../../../storage/sqlite/openDatabase.ts';

/**
 * The outbox, the alerts and the audit log keep all their history, so after months what a query wants is a few
 * rows among hundreds of thousands. The queries the dispatcher runs at every pass, the metrics at
 * every scrape, and the history pages (a sensor's, a household's, the resolved alerts) must reach
 * them through an index: a scan of the whole outbox held the event loop about 80 ms per query at
 * 200,000 rows, and the resolved alerts' page and count about 40 ms at 200,000 alerts (issue 20.5).
 * The audit log too: one actor's trail took 64 ms a page at 500,000 entries.
 * Checked on SQLite's own plan (EXPLAIN QUERY PLAN, https://www.sqlite.org/eqp.html), which names
 * the index a step uses; no timing.
 */

const logger = pino({ level: 'silent' });
let dir: string;
let db: Db;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealwatch-outbox-plans-'));
  db = openDatabase(join(dir, 'sealwatch.db'), logger);
  migrateSqlite(db, logger);
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function planOf(sql: string): string[] {
  const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 0);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map(
    (r) => r.detail,
  );
}

describe("the outbox's queue queries on SQLite", () => {
  it.each(Object.entries(OUTBOX_QUEUE_SQL))('%s reads the outbox through an index', (_name, sql) => {
    const steps = planOf(sql).filter((step) => /\boutbox\b/.test(step));
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step).toMatch(/USING (COVERING )?INDEX outbox_(due|status)\b/);
  });

  it('a query that only implies the partial index does not use it: why outbox_status is there', () => {
    // The rule that left the queue queries without an index; if SQLite learns to prove it, this
    // fails and outbox_due may serve them again.
    const plan = planOf("SELECT * FROM outbox WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1");
    expect(plan.join(' | ')).not.toMatch(/INDEX outbox_due/);
  });
});

/**
 * The SQL that `use` has a store prepare on this database, in order; `use` may empty the list (what
 * a store prepares when it is made).
 */
async function preparedBy(use: (db: Db, prepared: string[]) => unknown): Promise<string[]> {
  const prepared: string[] = [];
  const recording = new Proxy(db, {
    get(target, key) {
      if (key !== 'prepare') return Reflect.get(target, key, target);
      return (sql: string) => {
        prepared.push(sql);
        return target.prepare(sql);
      };
    },
  });
  await use(recording, prepared);
  return prepared;
}

/** Every step of the plan that reads `table` names `index`. */
function expectReadThrough(sql: string, table: string, index: string): void {
  const steps = planOf(sql).filter((step) => new RegExp(`\\b${table}\\b`).test(step));
  expect(steps.length).toBeGreaterThan(0);
  for (const step of steps) expect(step).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
}

describe("the outbox's folded notifications, read at each start", () => {
  it('are read through the index on status, summary and creation: only those not yet summarised, in order', async () => {
    // With an index on status alone beside a partial one for these rows (migration 114), the planner
    // took the first and read every folded row ever kept: about 26 ms at 100,000 (measured ad hoc).
    const statements = await preparedBy((recording) => new SqliteAlertStore(recording));
    const folded = statements.filter((sql) => /status = 'folded' AND summary_id IS NULL/.test(sql));
    expect(folded.length).toBe(1);
    expectReadThrough(folded[0]!, 'outbox', 'outbox_status');
    // Both equalities are the index's first two columns, and the rows come in created_at order.
    const plan = planOf(folded[0]!).join(' | ');
    expect(plan).toMatch(/INDEX outbox_status \(status=\? AND summary_id=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  });
});

describe('alert history on SQLite: by sensor, by household, by status', () => {
  it.each([
    ["a sensor's alerts", { sensorId: 's-1' }, 'alerts_sensor'],
    ["a household's alerts", { householdId: 'h-1' }, 'alerts_household'],
    ['the resolved alerts', { status: 'resolved' }, 'alerts_status'],
  ] as const)('%s: the page and its count read the alerts through an index', async (_what, query, index) => {
    const statements = await preparedBy((recording, prepared) => {
      const store = new SqliteAlertStore(recording);
      prepared.length = 0;
      return store.search(query as AlertQuery, { limit: 20, offset: 0 });
    });
    expect(statements.length).toBe(2);
    for (const sql of statements) expectReadThrough(sql, 'alerts', index);
  });
});

describe("one actor's audit trail on SQLite", () => {
  it('the page and its count read the audit log through audit_log_actor', async () => {
    // 64 ms a page at 500,000 entries without it, 0.6 ms with it (measured ad hoc).
    const statements = await preparedBy((recording) =>
      new SqliteGatewayWrites(recording).auditPage({ actor: 'user:u-1', limit: 20, offset: 0 }),
    );
    expect(statements.length).toBe(2);
    for (const sql of statements) expectReadThrough(sql, 'audit_log', 'audit_log_actor');
  });
});
