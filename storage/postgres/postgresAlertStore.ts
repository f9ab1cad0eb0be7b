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
import { auditValues, INSERT_AUDIT_POSTGRES } from '../auditSql.ts';
import {
  archivedReportOf,
  GET_REPORT,
  listReportsSql,
  reportPageOf,
  reportValues,
  UPSERT_REPORT,
} from '../reportRows.ts';
import { checkOut } from './checkOut.ts';
import type { Pool } from './openPool.ts';

interface Statement {
  text: string;
  values: readonly unknown[];
}

const UPSERT_ALERT = `INSERT INTO alerts (id, type, subject_key, sensor_id, household_id, grid_id, severity, status,
    assignee, opened_at, acked_at, acked_by, resolved_at, resolved_by, outcome, auto_resolve_reason, note, count,
    escalation_level, next_escalation_at, detail)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, assignee = excluded.assignee,
    acked_at = excluded.acked_at, acked_by = excluded.acked_by, resolved_at = excluded.resolved_at,
    resolved_by = excluded.resolved_by, outcome = excluded.outcome,
    auto_resolve_reason = excluded.auto_resolve_reason, note = excluded.note, count = excluded.count,
    escalation_level = excluded.escalation_level, next_escalation_at = excluded.next_escalation_at`;

const INSERT_OUTBOX = `INSERT INTO outbox (id, alert_id, kind, channel, recipient_id, notification, status, attempts,
    created_at, first_attempt_at, next_attempt_at, delivered_at, last_error)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;

const UPDATE_OUTBOX = `UPDATE outbox SET status = $2, attempts = $3, first_attempt_at = $4, next_attempt_at = $5,
    delivered_at = $6, last_error = $7
  WHERE id = $1
    -- a send that was in flight when the household's data was purged must not revive the row
    AND NOT (status = 'failed' AND notification LIKE '%"purged":true%')`;

/** For this transaction only: its commit returns before its WAL is flushed. */
const COMMIT_WITHOUT_FLUSH: Statement = { text: 'SET LOCAL synchronous_commit TO off', values: [] };

/**
 * The alerting engine's tables on PostgreSQL (migration 2): the same contract as SqliteAlertStore,
 * written by the one instance that owns alerting, read by any. On the instance's pool, never
 * blocking the event loop: a batch is one transaction on one pooled connection, and the engine's
 * serial queue waits for it (alerting/engine/decisionQueue.ts).
 */
export class PostgresAlertStore implements AlertStore {
  constructor(private readonly pool: Pool) {}

  apply(b: AlertBatch): Written {
    const statements = this.statementsOf(b);
    // A replayable batch (a delivery's outcome) does not wait for the WAL flush at its commit
    // (https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT): the
    // engine's next decisions, a breach among them, wait for this one. Alone, a statement commits by
    // itself in one round trip, which the extra SET would make four.
    if (b.replayable && statements.length > 1) statements.unshift(COMMIT_WITHOUT_FLUSH);
    return this.transaction(statements);
  }

  private statementsOf(b: AlertBatch): Statement[] {
    const s: Statement[] = [];
    for (const a of b.alerts ?? []) {
      s.push({
        text: UPSERT_ALERT,
        values: [
          a.id,
          a.type,
          alertSubjectKey(a),
          a.sensorId ?? null,
          a.householdId ?? null,
          a.gridId,
          a.severity,
          a.status,
          a.assignee,
          a.openedAt,
          a.ackedAt ?? null,
          a.ackedBy ?? null,
          a.resolvedAt ?? null,
          a.resolvedBy ?? null,
          a.outcome ?? null,
          a.autoResolveReason ?? null,
          a.note ?? null,
          a.count,
          a.escalationLevel,
          a.nextEscalationAt ?? null,
          JSON.stringify(a.detail),
        ],
      });
    }
    for (const c of b.changes ?? []) {
      s.push({
        text: 'INSERT INTO alert_changes (alert_id, kind, at, actor, detail) VALUES ($1, $2, $3, $4, $5)',
        values: [c.alertId, c.kind, c.at, c.actor, JSON.stringify(c.detail)],
      });
    }
    for (const o of b.outbox ?? []) {
      s.push({
        text: INSERT_OUTBOX,
        values: [
          o.id,
          o.alertId,
          o.kind,
          o.channel,
          o.recipientId,
          JSON.stringify(o.notification),
          o.status,
          o.attempts,
          o.createdAt,
          o.firstAttemptAt,
          o.nextAttemptAt,
          o.deliveredAt,
          o.lastError,
        ],
      });
    }
    for (const u of b.outboxUpdates ?? []) {
      s.push({
        text: UPDATE_OUTBOX,
        values: [u.id, u.status, u.attempts, u.firstAttemptAt, u.nextAttemptAt, u.deliveredAt, u.lastError],
      });
    }
    for (const m of b.summarized ?? []) {
      s.push({ text: 'UPDATE outbox SET summary_id = $1 WHERE id = $2', values: [m.summaryId, m.rowId] });
    }
    for (const f of b.lowBattery ?? []) {
      s.push({
        text: `INSERT INTO seal_alert_facts (sensor_id, low_battery_notified) VALUES ($1, $2)
          ON CONFLICT (sensor_id) DO UPDATE SET low_battery_notified = excluded.low_battery_notified`,
        values: [f.sensorId, f.notified],
      });
    }
    for (const c of b.openCounters ?? []) {
      s.push({
        text: `INSERT INTO open_counters (household_id, day_key, count) VALUES ($1, $2, $3)
          ON CONFLICT (household_id) DO UPDATE SET day_key = excluded.day_key, count = excluded.count`,
        values: [c.householdId, c.counter.dayKey, c.counter.count],
      });
    }
    for (const p of b.pendingPut ?? []) {
      s.push({
        text: `INSERT INTO pending_breaches (sensor_id, household_id, opened_at, due_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (sensor_id) DO UPDATE SET household_id = excluded.household_id,
            opened_at = excluded.opened_at, due_at = excluded.due_at`,
        values: [p.sensorId, p.householdId, p.openedAt, p.dueAt],
      });
    }
    for (const id of b.pendingDelete ?? []) {
      s.push({ text: 'DELETE FROM pending_breaches WHERE sensor_id = $1', values: [id] });
    }
    for (const n of b.nonces ?? []) {
      s.push({
        text: 'INSERT INTO ack_nonces (nonce, alert_id, recipient_id, used_at) VALUES ($1, $2, $3, $4)',
        values: [n.nonce, n.alertId, n.recipientId, n.usedAt],
      });
    }
    for (const a of b.announcements ?? []) {
      s.push({
        text: `INSERT INTO announcements (id, household_id, start_at, end_at, reason, by, created_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        values: [a.id, a.householdId, a.start, a.end, a.reason, a.by, a.createdAt],
      });
    }
    for (const [k, v] of Object.entries(b.state ?? {})) {
      s.push({
        text: `INSERT INTO engine_state (key, value) VALUES ($1, $2)
          ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        values: [k, v],
      });
    }
    for (const r of b.reports ?? []) s.push({ text: UPSERT_REPORT, values: reportValues(r) });
    for (const x of b.silences ?? []) {
      s.push({
        text: `INSERT INTO sensor_silences (sensor_id, until_at, reason, by, created_at) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (sensor_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason,
            by = excluded.by, created_at = excluded.created_at`,
        values: [x.sensorId, x.until, x.reason, x.by, x.createdAt],
      });
    }
    for (const id of b.silenceDeletes ?? [])
      s.push({ text: 'DELETE FROM sensor_silences WHERE sensor_id = $1', values: [id] });
    for (const e of b.audit ?? []) s.push({ text: INSERT_AUDIT_POSTGRES, values: auditValues(e) });
    return s;
  }

  async listReports(q: ReportQuery): Promise<{ items: ArchivedReportEntry[]; total: number }> {
    if (q.gridIds !== null && q.gridIds.length === 0) return { items: [], total: 0 };
    const sql = listReportsSql(q.gridIds !== null, 'SELECT unnest($3::text[])', '$1', '$2');
    const values = [q.limit, q.offset, ...(q.gridIds !== null ? [q.gridIds] : [])];
    return reportPageOf(await this.query(sql, values));
  }

  async getReport(gridId: string, day: string): Promise<ArchivedReport | undefined> {
    const r = (await this.query(GET_REPORT, [gridId, day]))[0];
    return r ? archivedReportOf(r) : undefined;
  }

  /** All or nothing on one connection. A connection that failed (not a statement) is not reused. */
  private async transaction(statements: readonly Statement[]): Promise<void> {
    if (statements.length === 0) return;
    // One statement is atomic by itself: no BEGIN and COMMIT, one round trip instead of three
    // (an outbox claim, a lone state).
    const [only] = statements;
    if (statements.length === 1 && only) {
      await this.pool.query(only.text, only.values as unknown[]);
      return;
    }
    const { client, lost, release } = await checkOut(this.pool);
    try {
      await client.query('BEGIN');
      for (const st of statements) await client.query(st.text, st.values as unknown[]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A statement's own error (it has a SQLSTATE code) leaves the connection usable.
      const statementError = lost() === null && typeof (err as { code?: unknown }).code === 'string';
      release(!statementError);
      throw err;
    }
    release();
  }

  private async query<R = Row>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    return (await this.pool.query(text, values as unknown[])).rows as R[];
  }

  private async execute(text: string, values: readonly unknown[] = []): Promise<number> {
    return (await this.pool.query(text, values as unknown[])).rowCount ?? 0;
  }

  async get(id: string): Promise<StoredAlert | undefined> {
    const r = (await this.query('SELECT * FROM alerts WHERE id = $1', [id]))[0];
    return r ? alertOf(r) : undefined;
  }

  async loadSilences(now: number): Promise<SensorSilence[]> {
    return (await this.query('SELECT * FROM sensor_silences WHERE until_at > $1', [now])).map(silenceOf);
  }

  async loadUnresolved(): Promise<StoredAlert[]> {
    return (await this.query("SELECT * FROM alerts WHERE status <> 'resolved'")).map(alertOf);
  }

  list(q: AlertQuery): Promise<StoredAlert[]> {
    return allOf(this.iterate(q));
  }

  iterate(q: AlertQuery): AsyncIterable<StoredAlert> {
    return readHistory(q, 'postgres', (sql, args) => this.query(sql, args));
  }

  search(
    q: AlertQuery,
    page: { offset: number; limit: number },
  ): Promise<{ items: StoredAlert[]; total: number }> {
    return searchHistory(q, page, 'postgres', (sql, args) => this.query(sql, args));
  }

  async changes(alertId: string): Promise<AlertChange[]> {
    return (await this.query('SELECT * FROM alert_changes WHERE alert_id = $1 ORDER BY seq', [alertId])).map(
      changeOf,
    );
  }

  async deliveries(alertId: string): Promise<OutboxRow[]> {
    return (
      await this.query('SELECT * FROM outbox WHERE alert_id = $1 ORDER BY created_at, id', [alertId])
    ).map(outboxOf);
  }

  async dueOutbox(now: number, limit: number): Promise<OutboxRow[]> {
    const rows = await this.query(
      `SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at LIMIT $2`,
      [now, limit],
    );
    return rows.map(outboxOf);
  }

  async nextOutboxAt(): Promise<number | null> {
    const [r] = await this.query<{ at: number | null }>(
      "SELECT min(next_attempt_at) AS at FROM outbox WHERE status = 'pending'",
    );
    return r?.at ?? null;
  }

  async outboxCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const r of await this.query<{ status: string; n: number }>(
      'SELECT status, count(*) AS n FROM outbox GROUP BY status',
    )) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  async oldestWaitingOutboxAt(): Promise<number | null> {
    const [r] = await this.query<{ at: number | null }>(
      "SELECT min(created_at) AS at FROM outbox WHERE status IN ('pending', 'sending')",
    );
    return r?.at ?? null;
  }

  async loadFoldedUnsummarized(): Promise<OutboxRow[]> {
    const rows = await this.query(
      "SELECT * FROM outbox WHERE status = 'folded' AND summary_id IS NULL ORDER BY created_at, id",
    );
    return rows.map(outboxOf);
  }

  requeueSending(now: number): Promise<number> {
    return this.execute(
      "UPDATE outbox SET status = 'pending', next_attempt_at = $1 WHERE status = 'sending'",
      [now],
    );
  }

  async nonceUsed(nonce: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM ack_nonces WHERE nonce = $1', [nonce])).length > 0;
  }

  async loadLowBattery(): Promise<Map<string, boolean>> {
    const rows = await this.query<{ sensor_id: string; low_battery_notified: boolean }>(
      'SELECT * FROM seal_alert_facts',
    );
    return new Map(rows.map((r) => [r.sensor_id, r.low_battery_notified]));
  }

  async loadOpenCounters(): Promise<Map<string, OpenCounter>> {
    const rows = await this.query<{ household_id: string; day_key: string; count: number }>(
      'SELECT * FROM open_counters',
    );
    return new Map(rows.map((r) => [r.household_id, { dayKey: r.day_key, count: r.count }]));
  }

  async loadPendingBreaches(): Promise<PendingBreach[]> {
    return (await this.query('SELECT * FROM pending_breaches')).map(pendingBreachOf);
  }

  async loadAnnouncements(now: number): Promise<StoredAnnouncement[]> {
    return (await this.query('SELECT * FROM announcements WHERE end_at > $1', [now])).map(announcementOf);
  }

  async announcementsOf(householdId: string, limit: number): Promise<StoredAnnouncement[]> {
    const rows = await this.query(
      'SELECT * FROM announcements WHERE household_id = $1 ORDER BY start_at DESC, id LIMIT $2',
      [householdId, limit],
    );
    return rows.map(announcementOf);
  }

  async getState(key: string): Promise<string | undefined> {
    return (await this.query<{ value: string }>('SELECT value FROM engine_state WHERE key = $1', [key]))[0]
      ?.value;
  }

  async insertAnnounceLink(link: {
    tokenHash: string;
    householdId: string;
    createdBy: string;
    createdAt: number;
    expiresAt: number;
  }): Promise<void> {
    await this.execute(
      `INSERT INTO announce_links (token_hash, household_id, created_by, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5)`,
      [link.tokenHash, link.householdId, link.createdBy, link.createdAt, link.expiresAt],
    );
  }

  async redactHouseholdMessages(householdId: string, now: number): Promise<number> {
    const rows = (
      await this.query(
        `SELECT o.* FROM outbox o JOIN alerts a ON a.id = o.alert_id
          WHERE a.household_id = $1 AND o.notification NOT LIKE '%"purged":true%'`,
        [householdId],
      )
    ).map(outboxOf);
    await this.transaction(
      rows.map((o) => ({
        text: `UPDATE outbox SET notification = $1,
            status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END,
            last_error = CASE WHEN status IN ('pending', 'sending') THEN 'household data purged' ELSE last_error END,
            next_attempt_at = CASE WHEN status IN ('pending', 'sending') THEN NULL ELSE next_attempt_at END
          WHERE id = $2`,
        values: [purgedStub(o, now), o.id],
      })),
    );
    return rows.length;
  }

  async peekAnnounceLink(tokenHash: string, now: number): Promise<AnnounceLinkUse> {
    const [r] = await this.query('SELECT * FROM announce_links WHERE token_hash = $1', [tokenHash]);
    return announceLinkUse(r, now);
  }

  async useAnnounceLink(tokenHash: string, now: number): Promise<AnnounceLinkUse> {
    const peek = await this.peekAnnounceLink(tokenHash, now);
    if (!peek.ok) return peek;
    // The UPDATE's own condition makes the use single even if two requests race.
    const changed = await this.execute(
      'UPDATE announce_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL',
      [now, tokenHash],
    );
    return changed === 1 ? peek : { ok: false, reason: 'used' };
  }
}
