import { type AlertChange, alertSubjectKey } from '../../alerting/alertModel.ts';
import type {
  AlertBatch,
  AlertQuery,
  AlertStore,
  AnnounceLinkUse,
  ArchivedReport,
  ArchivedReportEntry,
  OutboxRow,
  PendingBreach,
  ReportQuery,
  SensorSilence,
  StoredAlert,
  StoredAnnouncement,
  Written,
} from '../../alerting/alertStore.ts';
import type { OpenCounter } from '../../alerting/rules/openCount.ts';
import {
  alertOf,
  allOf,
  announceLinkUse,
  announcementOf,
  changeOf,
  outboxOf,
  pendingBreachOf,
  purgedStub,
  type Row,
  readHistory,
  searchHistory,
  silenceOf,
} from '../alertRows.ts';
import {
  archivedReportOf,
  GET_REPORT,
  listReportsSql,
  reportPageOf,
  reportValues,
  sqliteParams,
  UPSERT_REPORT,
} from '../reportRows.ts';
import { appendAuditSqlite } from './appendAudit.ts';
import type { Db } from './openDatabase.ts';
import { UnsyncedCommit } from './unsyncedCommit.ts';

/**
 * The outbox's queue: what the dispatcher reads at every pass and the metrics at every scrape. The
 * outbox keeps every notification ever sent (an alert's deliveries), so its waiting rows are a few
 * among hundreds of thousands after months, and these must read only those: through `outbox_status`
 * (migration 114). The partial index `outbox_due` did not serve them: SQLite uses a partial index only
 * for a query whose WHERE repeats its terms (https://www.sqlite.org/partialindex.html), and it does not
 * prove that `status = 'pending'` implies `status IN ('pending', 'sending')`. Each was a scan of the
 * whole table, about 80 ms at 200,000 rows, on the event loop, at every pass (a breach's webhook took
 * 469 ms; measured ad hoc, issue 20.5). test/integration/store/historyQueryPlans.test.ts checks every
 * plan.
 */
export const OUTBOX_QUEUE_SQL = {
  due: "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
  nextDue: "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status = 'pending'",
  counts: 'SELECT status, count(*) AS n FROM outbox GROUP BY status',
  oldestWaiting: "SELECT MIN(created_at) AS at FROM outbox WHERE status IN ('pending', 'sending')",
  requeue: "UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE status = 'sending'",
} as const;

/**
 * The alerting engine's tables (migration 4) on the registry's SQLite handle. Writes finish before
 * `apply` returns: called while ingest's transaction is open, the batch becomes part of it (a
 * nested better-sqlite3 transaction is a savepoint). Reads answer as promises, as the port asks.
 */
export class SqliteAlertStore implements AlertStore {
  private readonly applyTx: (batch: AlertBatch) => void;
  /** Replayable batches' commits (null for a database in memory or not in WAL mode). */
  private readonly unsynced: UnsyncedCommit | null;
  private readonly stmt;

  constructor(private readonly db: Db) {
    this.stmt = {
      upsertAlert: db.prepare(
        `INSERT INTO alerts (id, type, subject_key, sensor_id, household_id, grid_id, severity, status, assignee,
           opened_at, acked_at, acked_by, resolved_at, resolved_by, outcome, auto_resolve_reason, note, count,
           escalation_level, next_escalation_at, detail)
         VALUES (@id, @type, @subjectKey, @sensorId, @householdId, @gridId, @severity, @status, @assignee,
           @openedAt, @ackedAt, @ackedBy, @resolvedAt, @resolvedBy, @outcome, @autoResolveReason, @note, @count,
           @escalationLevel, @nextEscalationAt, @detail)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, assignee = excluded.assignee,
           acked_at = excluded.acked_at, acked_by = excluded.acked_by, resolved_at = excluded.resolved_at,
           resolved_by = excluded.resolved_by, outcome = excluded.outcome,
           auto_resolve_reason = excluded.auto_resolve_reason, note = excluded.note, count = excluded.count,
           escalation_level = excluded.escalation_level, next_escalation_at = excluded.next_escalation_at`,
      ),
      insertChange: db.prepare(
        'INSERT INTO alert_changes (alert_id, kind, at, actor, detail) VALUES (?, ?, ?, ?, ?)',
      ),
      insertOutbox: db.prepare(
        `INSERT INTO outbox (id, alert_id, kind, channel, recipient_id, notification, status, attempts, created_at,
           first_attempt_at, next_attempt_at, delivered_at, last_error)
         VALUES (@id, @alertId, @kind, @channel, @recipientId, @notification, @status, @attempts, @createdAt,
           @firstAttemptAt, @nextAttemptAt, @deliveredAt, @lastError)`,
      ),
      markSummarized: db.prepare('UPDATE outbox SET summary_id = ? WHERE id = ?'),
      // Through outbox_status's three columns: only the rows not yet summarised, already in order.
      folded: db.prepare(
        "SELECT * FROM outbox WHERE status = 'folded' AND summary_id IS NULL ORDER BY created_at, id",
      ),
      updateOutbox: db.prepare(
        `UPDATE outbox SET status = @status, attempts = @attempts, first_attempt_at = @firstAttemptAt,
           next_attempt_at = @nextAttemptAt, delivered_at = @deliveredAt, last_error = @lastError
         WHERE id = @id
           -- a send that was in flight when the household's data was purged must not revive the row
           AND NOT (status = 'failed' AND notification LIKE '%"purged":true%')`,
      ),
      putLowBattery: db.prepare(
        `INSERT INTO seal_alert_facts (sensor_id, low_battery_notified) VALUES (?, ?)
         ON CONFLICT (sensor_id) DO UPDATE SET low_battery_notified = excluded.low_battery_notified`,
      ),
      putCounter: db.prepare(
        `INSERT INTO open_counters (household_id, day_key, count) VALUES (?, ?, ?)
         ON CONFLICT (household_id) DO UPDATE SET day_key = excluded.day_key, count = excluded.count`,
      ),
      putPending: db.prepare(
        `INSERT INTO pending_breaches (sensor_id, household_id, opened_at, due_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (sensor_id) DO UPDATE SET household_id = excluded.household_id,
           opened_at = excluded.opened_at, due_at = excluded.due_at`,
      ),
      deletePending: db.prepare('DELETE FROM pending_breaches WHERE sensor_id = ?'),
      insertNonce: db.prepare(
        'INSERT INTO ack_nonces (nonce, alert_id, recipient_id, used_at) VALUES (?, ?, ?, ?)',
      ),
      insertAnnouncement: db.prepare(
        `INSERT INTO announcements (id, household_id, start_at, end_at, reason, by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      putState: db.prepare(
        `INSERT INTO engine_state (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
      upsertReport: db.prepare(sqliteParams(UPSERT_REPORT)),
      putSilence: db.prepare(
        `INSERT INTO sensor_silences (sensor_id, until_at, reason, by, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (sensor_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason,
           by = excluded.by, created_at = excluded.created_at`,
      ),
      deleteSilence: db.prepare('DELETE FROM sensor_silences WHERE sensor_id = ?'),
      getAlert: db.prepare('SELECT * FROM alerts WHERE id = ?'),
      unresolved: db.prepare("SELECT * FROM alerts WHERE status != 'resolved'"),
      changes: db.prepare('SELECT * FROM alert_changes WHERE alert_id = ? ORDER BY seq'),
      deliveries: db.prepare('SELECT * FROM outbox WHERE alert_id = ? ORDER BY created_at, id'),
      due: db.prepare(OUTBOX_QUEUE_SQL.due),
      nextDue: db.prepare(OUTBOX_QUEUE_SQL.nextDue),
      outboxCounts: db.prepare(OUTBOX_QUEUE_SQL.counts),
      oldestWaiting: db.prepare(OUTBOX_QUEUE_SQL.oldestWaiting),
      requeue: db.prepare(OUTBOX_QUEUE_SQL.requeue),
      nonce: db.prepare('SELECT 1 FROM ack_nonces WHERE nonce = ?'),
      state: db.prepare('SELECT value FROM engine_state WHERE key = ?'),
      link: db.prepare('SELECT * FROM announce_links WHERE token_hash = ?'),
      useLink: db.prepare('UPDATE announce_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL'),
      insertLink: db.prepare(
        `INSERT INTO announce_links (token_hash, household_id, created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
    };
    this.applyTx = db.transaction((b: AlertBatch) => this.write(b));
    this.unsynced = UnsyncedCommit.for(db);
  }

  apply(batch: AlertBatch): Written {
    // A replayable batch (a delivery's outcome) commits without its fsync on the event loop: about
    // 0.3 ms idle after every delivery, more with ingest's syncs on the same disk (issue 20.5).
    if (batch.replayable && this.unsynced) this.unsynced.run(() => this.applyTx(batch));
    else this.applyTx(batch);
    return undefined;
  }

  private write(b: AlertBatch): void {
    const s = this.stmt;
    for (const a of b.alerts ?? []) {
      s.upsertAlert.run({
        id: a.id,
        type: a.type,
        subjectKey: alertSubjectKey(a),
        sensorId: a.sensorId ?? null,
        householdId: a.householdId ?? null,
        gridId: a.gridId,
        severity: a.severity,
        status: a.status,
        assignee: a.assignee,
        openedAt: a.openedAt,
        ackedAt: a.ackedAt ?? null,
        ackedBy: a.ackedBy ?? null,
        resolvedAt: a.resolvedAt ?? null,
        resolvedBy: a.resolvedBy ?? null,
        outcome: a.outcome ?? null,
        autoResolveReason: a.autoResolveReason ?? null,
        note: a.note ?? null,
        count: a.count,
        escalationLevel: a.escalationLevel,
        nextEscalationAt: a.nextEscalationAt ?? null,
        detail: JSON.stringify(a.detail),
      });
    }
    for (const c of b.changes ?? [])
      s.insertChange.run(c.alertId, c.kind, c.at, c.actor, JSON.stringify(c.detail));
    for (const o of b.outbox ?? [])
      s.insertOutbox.run({ ...o, notification: JSON.stringify(o.notification) });
    for (const u of b.outboxUpdates ?? []) s.updateOutbox.run(u);
    for (const m of b.summarized ?? []) s.markSummarized.run(m.summaryId, m.rowId);
    for (const f of b.lowBattery ?? []) s.putLowBattery.run(f.sensorId, f.notified ? 1 : 0);
    for (const c of b.openCounters ?? []) s.putCounter.run(c.householdId, c.counter.dayKey, c.counter.count);
    for (const p of b.pendingPut ?? []) s.putPending.run(p.sensorId, p.householdId, p.openedAt, p.dueAt);
    for (const id of b.pendingDelete ?? []) s.deletePending.run(id);
    for (const n of b.nonces ?? []) s.insertNonce.run(n.nonce, n.alertId, n.recipientId, n.usedAt);
    for (const a of b.announcements ?? [])
      s.insertAnnouncement.run(a.id, a.householdId, a.start, a.end, a.reason, a.by, a.createdAt);
    for (const [k, v] of Object.entries(b.state ?? {})) s.putState.run(k, v);
    for (const r of b.reports ?? []) s.upsertReport.run(...reportValues(r));
    for (const x of b.silences ?? []) s.putSilence.run(x.sensorId, x.until, x.reason, x.by, x.createdAt);
    for (const id of b.silenceDeletes ?? []) s.deleteSilence.run(id);
    appendAuditSqlite(this.db, b.audit);
  }

  async listReports(q: ReportQuery): Promise<{ items: ArchivedReportEntry[]; total: number }> {
    if (q.gridIds !== null && q.gridIds.length === 0) return { items: [], total: 0 };
    const nodes = q.gridIds ?? [];
    const sql = listReportsSql(q.gridIds !== null, nodes.map(() => '?').join(', '), '?', '?');
    return reportPageOf(this.db.prepare(sql).all(...nodes, q.limit, q.offset) as Row[]);
  }

  async getReport(gridId: string, day: string): Promise<ArchivedReport | undefined> {
    const r = this.db.prepare(sqliteParams(GET_REPORT)).get(gridId, day) as Row | undefined;
    return r ? archivedReportOf(r) : undefined;
  }

  async get(id: string): Promise<StoredAlert | undefined> {
    const r = this.stmt.getAlert.get(id) as Row | undefined;
    return r ? alertOf(r) : undefined;
  }

  async loadUnresolved(): Promise<StoredAlert[]> {
    return (this.stmt.unresolved.all() as Row[]).map(alertOf);
  }

  async list(q: AlertQuery): Promise<StoredAlert[]> {
    return allOf(this.iterate(q));
  }

  iterate(q: AlertQuery): AsyncIterable<StoredAlert> {
    return readHistory(q, 'sqlite', (sql, args) => this.db.prepare(sql).all(...args) as Row[]);
  }

  async search(
    q: AlertQuery,
    page: { offset: number; limit: number },
  ): Promise<{ items: StoredAlert[]; total: number }> {
    return searchHistory(q, page, 'sqlite', (sql, args) => this.db.prepare(sql).all(...args) as Row[]);
  }

  async changes(alertId: string): Promise<AlertChange[]> {
    return (this.stmt.changes.all(alertId) as Row[]).map(changeOf);
  }

  async deliveries(alertId: string): Promise<OutboxRow[]> {
    return (this.stmt.deliveries.all(alertId) as Row[]).map(outboxOf);
  }

  async dueOutbox(now: number, limit: number): Promise<OutboxRow[]> {
    return (this.stmt.due.all(now, limit) as Row[]).map(outboxOf);
  }

  async nextOutboxAt(): Promise<number | null> {
    return ((this.stmt.nextDue.get() as Row | undefined)?.at as number | null | undefined) ?? null;
  }
  async outboxCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const r of this.stmt.outboxCounts.all() as Row[]) counts[r.status as string] = r.n as number;
    return counts;
  }
  async oldestWaitingOutboxAt(): Promise<number | null> {
    return ((this.stmt.oldestWaiting.get() as Row | undefined)?.at as number | null | undefined) ?? null;
  }

  async loadFoldedUnsummarized(): Promise<OutboxRow[]> {
    return (this.stmt.folded.all() as Row[]).map(outboxOf);
  }

  async requeueSending(now: number): Promise<number> {
    return this.stmt.requeue.run(now).changes;
  }

  async nonceUsed(nonce: string): Promise<boolean> {
    return this.stmt.nonce.get(nonce) !== undefined;
  }

  async loadLowBattery(): Promise<Map<string, boolean>> {
    const rows = this.db.prepare('SELECT * FROM seal_alert_facts').all() as Row[];
    return new Map(rows.map((r) => [r.sensor_id as string, r.low_battery_notified === 1]));
  }

  async loadOpenCounters(): Promise<Map<string, OpenCounter>> {
    const rows = this.db.prepare('SELECT * FROM open_counters').all() as Row[];
    return new Map(
      rows.map((r) => [r.household_id as string, { dayKey: r.day_key as string, count: r.count as number }]),
    );
  }

  async loadPendingBreaches(): Promise<PendingBreach[]> {
    return (this.db.prepare('SELECT * FROM pending_breaches').all() as Row[]).map(pendingBreachOf);
  }

  async loadSilences(now: number): Promise<SensorSilence[]> {
    const rows = this.db.prepare('SELECT * FROM sensor_silences WHERE until_at > ?').all(now) as Row[];
    return rows.map(silenceOf);
  }

  async loadAnnouncements(now: number): Promise<StoredAnnouncement[]> {
    const rows = this.db.prepare('SELECT * FROM announcements WHERE end_at > ?').all(now) as Row[];
    return rows.map(announcementOf);
  }

  async announcementsOf(householdId: string, limit: number): Promise<StoredAnnouncement[]> {
    const rows = this.db
      .prepare('SELECT * FROM announcements WHERE household_id = ? ORDER BY start_at DESC, id LIMIT ?')
      .all(householdId, limit) as Row[];
    return rows.map(announcementOf);
  }

  async getState(key: string): Promise<string | undefined> {
    return (this.stmt.state.get(key) as Row | undefined)?.value as string | undefined;
  }

  async insertAnnounceLink(link: {
    tokenHash: string;
    householdId: string;
    createdBy: string;
    createdAt: number;
    expiresAt: number;
  }): Promise<void> {
    this.stmt.insertLink.run(
      link.tokenHash,
      link.householdId,
      link.createdBy,
      link.createdAt,
      link.expiresAt,
    );
  }

  async redactHouseholdMessages(householdId: string, now: number): Promise<number> {
    const rows = this.db
      .prepare(
        `SELECT o.* FROM outbox o JOIN alerts a ON a.id = o.alert_id
         WHERE a.household_id = ? AND o.notification NOT LIKE '%"purged":true%'`,
      )
      .all(householdId) as Row[];
    const update = this.db.prepare(
      `UPDATE outbox SET notification = ?,
         status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END,
         last_error = CASE WHEN status IN ('pending', 'sending') THEN 'household data purged' ELSE last_error END,
         next_attempt_at = CASE WHEN status IN ('pending', 'sending') THEN NULL ELSE next_attempt_at END
       WHERE id = ?`,
    );
    this.db.transaction(() => {
      for (const r of rows) {
        const o = outboxOf(r);
        update.run(purgedStub(o, now), o.id);
      }
    })();
    return rows.length;
  }

  async peekAnnounceLink(tokenHash: string, now: number): Promise<AnnounceLinkUse> {
    return this.peek(tokenHash, now);
  }

  private peek(tokenHash: string, now: number): AnnounceLinkUse {
    return announceLinkUse(this.stmt.link.get(tokenHash) as Row | undefined, now);
  }

  async useAnnounceLink(tokenHash: string, now: number): Promise<AnnounceLinkUse> {
    const peek = this.peek(tokenHash, now);
    if (!peek.ok) return peek;
    // The UPDATE's own condition makes the use single even if two requests race.
    const changed = this.stmt.useLink.run(now, tokenHash).changes;
    return changed === 1 ? peek : { ok: false, reason: 'used' };
  }
}
