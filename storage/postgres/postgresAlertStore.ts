import { type AlertChange, alertSubjectKey } from '../../alerting/alertModel.ts';
import type {
  AlertBatch,
  AlertQuery,
  AlertStore,
  AnnounceLinkUse,
  OutboxRow,
  PendingBreach,
  StoredAlert,
  StoredAnnouncement,
} from '../../alerting/alertStore.ts';
import type { OpenCounter } from '../../alerting/rules/openCount.ts';
import {
  alertOf,
  announceLinkUse,
  announcementOf,
  changeOf,
  outboxOf,
  pendingBreachOf,
  purgedStub,
} from '../alertRows.ts';
import type { Statement, SyncPg } from './syncClient.ts';

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

/** Rows per read of the alert history: a page of the API stops reading at its end. */
const ITERATE_PAGE = 500;

/**
 * The alerting engine's tables on PostgreSQL (migration 2): the same contract as SqliteAlertStore,
 * written by the one instance that owns alerting, read by any. Synchronous through SyncPg; one
 * batch is one transaction in one round trip.
 */
export class PostgresAlertStore implements AlertStore {
  constructor(private readonly db: SyncPg) {}

  apply(b: AlertBatch): void {
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
    this.db.transaction(s);
  }

  get(id: string): StoredAlert | undefined {
    const r = this.db.query('SELECT * FROM alerts WHERE id = $1', [id])[0];
    return r ? alertOf(r) : undefined;
  }

  loadUnresolved(): StoredAlert[] {
    return this.db.query("SELECT * FROM alerts WHERE status <> 'resolved'").map(alertOf);
  }

  list(q: AlertQuery): StoredAlert[] {
    return [...this.iterate(q)];
  }

  *iterate(q: AlertQuery): IterableIterator<StoredAlert> {
    const where: string[] = [];
    const args: unknown[] = [];
    const param = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (q.status) where.push(`status = ${param(q.status)}`);
    if (q.type) where.push(`type = ${param(q.type)}`);
    if (q.openedFrom !== undefined) where.push(`opened_at >= ${param(q.openedFrom)}`);
    if (q.openedTo !== undefined) where.push(`opened_at < ${param(q.openedTo)}`);
    // Newest first (ties by id), read a page at a time from where the last page ended.
    let after: { openedAt: number; id: string } | null = null;
    for (;;) {
      const pageArgs = [...args];
      const conditions = [...where];
      if (after) {
        pageArgs.push(after.openedAt, after.id);
        const [a, i] = [`$${pageArgs.length - 1}`, `$${pageArgs.length}`];
        conditions.push(`(opened_at < ${a} OR (opened_at = ${a} AND id > ${i}))`);
      }
      const rows = this.db.query(
        `SELECT * FROM alerts ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
          ORDER BY opened_at DESC, id LIMIT ${ITERATE_PAGE}`,
        pageArgs,
      );
      for (const r of rows) yield alertOf(r);
      const last = rows[rows.length - 1];
      if (!last || rows.length < ITERATE_PAGE) return;
      after = { openedAt: last.opened_at as number, id: last.id as string };
    }
  }

  changes(alertId: string): AlertChange[] {
    return this.db
      .query('SELECT * FROM alert_changes WHERE alert_id = $1 ORDER BY seq', [alertId])
      .map(changeOf);
  }

  deliveries(alertId: string): OutboxRow[] {
    return this.db
      .query('SELECT * FROM outbox WHERE alert_id = $1 ORDER BY created_at, id', [alertId])
      .map(outboxOf);
  }

  dueOutbox(now: number, limit: number): OutboxRow[] {
    return this.db
      .query(
        `SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1
          ORDER BY next_attempt_at LIMIT $2`,
        [now, limit],
      )
      .map(outboxOf);
  }

  nextOutboxAt(): number | null {
    const r = this.db.query<{ at: number | null }>(
      "SELECT min(next_attempt_at) AS at FROM outbox WHERE status = 'pending'",
    )[0];
    return r?.at ?? null;
  }

  outboxCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.db.query<{ status: string; n: number }>(
      'SELECT status, count(*) AS n FROM outbox GROUP BY status',
    )) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  loadFoldedUnsummarized(): OutboxRow[] {
    return this.db
      .query("SELECT * FROM outbox WHERE status = 'folded' AND summary_id IS NULL ORDER BY created_at, id")
      .map(outboxOf);
  }

  requeueSending(now: number): number {
    return this.db.execute(
      "UPDATE outbox SET status = 'pending', next_attempt_at = $1 WHERE status = 'sending'",
      [now],
    );
  }

  nonceUsed(nonce: string): boolean {
    return this.db.query('SELECT 1 FROM ack_nonces WHERE nonce = $1', [nonce]).length > 0;
  }

  loadLowBattery(): Map<string, boolean> {
    const rows = this.db.query<{ sensor_id: string; low_battery_notified: boolean }>(
      'SELECT * FROM seal_alert_facts',
    );
    return new Map(rows.map((r) => [r.sensor_id, r.low_battery_notified]));
  }

  loadOpenCounters(): Map<string, OpenCounter> {
    const rows = this.db.query<{ household_id: string; day_key: string; count: number }>(
      'SELECT * FROM open_counters',
    );
    return new Map(rows.map((r) => [r.household_id, { dayKey: r.day_key, count: r.count }]));
  }

  loadPendingBreaches(): PendingBreach[] {
    return this.db.query('SELECT * FROM pending_breaches').map(pendingBreachOf);
  }

  loadAnnouncements(now: number): StoredAnnouncement[] {
    return this.db.query('SELECT * FROM announcements WHERE end_at > $1', [now]).map(announcementOf);
  }

  getState(key: string): string | undefined {
    return this.db.query<{ value: string }>('SELECT value FROM engine_state WHERE key = $1', [key])[0]?.value;
  }

  insertAnnounceLink(link: {
    tokenHash: string;
    householdId: string;
    createdBy: string;
    createdAt: number;
    expiresAt: number;
  }): void {
    this.db.execute(
      `INSERT INTO announce_links (token_hash, household_id, created_by, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5)`,
      [link.tokenHash, link.householdId, link.createdBy, link.createdAt, link.expiresAt],
    );
  }

  redactHouseholdMessages(householdId: string, now: number): number {
    const rows = this.db
      .query(
        `SELECT o.* FROM outbox o JOIN alerts a ON a.id = o.alert_id
          WHERE a.household_id = $1 AND o.notification NOT LIKE '%"purged":true%'`,
        [householdId],
      )
      .map(outboxOf);
    this.db.transaction(
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

  peekAnnounceLink(tokenHash: string, now: number): AnnounceLinkUse {
    return announceLinkUse(
      this.db.query('SELECT * FROM announce_links WHERE token_hash = $1', [tokenHash])[0],
      now,
    );
  }

  useAnnounceLink(tokenHash: string, now: number): AnnounceLinkUse {
    const peek = this.peekAnnounceLink(tokenHash, now);
    if (!peek.ok) return peek;
    // The UPDATE's own condition makes the use single even if two requests race.
    const changed = this.db.execute(
      'UPDATE announce_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL',
      [now, tokenHash],
    );
    return changed === 1 ? peek : { ok: false, reason: 'used' };
  }
}
