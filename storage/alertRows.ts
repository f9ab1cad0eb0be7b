import type { AlertChange } from '../alerting/alertModel.ts';
import type {
  AlertQuery,
  AnnounceLinkUse,
  OutboxRow,
  PendingBreach,
  SensorSilence,
  StoredAlert,
  StoredAnnouncement,
} from '../alerting/alertStore.ts';

/**
 * Alert and outbox rows as both alert stores read them (SQLite and PostgreSQL name their
 * columns alike; PostgreSQL's bigints arrive as numbers, JSON as text).
 */
export type Row = Record<string, unknown>;

const opt = <K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> =>
  value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>);

export const alertOf = (r: Row): StoredAlert => ({
  id: r.id as string,
  type: r.type as StoredAlert['type'],
  gridId: r.grid_id as string,
  severity: r.severity as StoredAlert['severity'],
  status: r.status as StoredAlert['status'],
  assignee: (r.assignee as string | null) ?? null,
  openedAt: r.opened_at as number,
  count: r.count as number,
  escalationLevel: r.escalation_level as number,
  detail: JSON.parse(r.detail as string) as Record<string, unknown>,
  ...opt('sensorId', r.sensor_id as string | null),
  ...opt('householdId', r.household_id as string | null),
  ...opt('ackedAt', r.acked_at as number | null),
  ...opt('ackedBy', r.acked_by as string | null),
  ...opt('resolvedAt', r.resolved_at as number | null),
  ...opt('resolvedBy', r.resolved_by as string | null),
  ...opt('outcome', r.outcome as StoredAlert['outcome'] | null),
  ...opt('autoResolveReason', r.auto_resolve_reason as StoredAlert['autoResolveReason'] | null),
  ...opt('note', r.note as string | null),
  ...opt('nextEscalationAt', r.next_escalation_at as number | null),
});

export const outboxOf = (r: Row): OutboxRow => ({
  id: r.id as string,
  alertId: (r.alert_id as string | null) ?? null,
  kind: r.kind as OutboxRow['kind'],
  channel: r.channel as OutboxRow['channel'],
  recipientId: r.recipient_id as string,
  notification: JSON.parse(r.notification as string) as OutboxRow['notification'],
  status: r.status as OutboxRow['status'],
  attempts: r.attempts as number,
  createdAt: r.created_at as number,
  firstAttemptAt: (r.first_attempt_at as number | null) ?? null,
  nextAttemptAt: (r.next_attempt_at as number | null) ?? null,
  deliveredAt: (r.delivered_at as number | null) ?? null,
  lastError: (r.last_error as string | null) ?? null,
  ...(typeof r.receipt === 'string'
    ? {
        receipt: {
          status: r.receipt as NonNullable<OutboxRow['receipt']>['status'],
          detail: (r.receipt_detail as string | null) ?? null,
          at: Number(r.receipt_at),
        },
      }
    : {}),
});

export const changeOf = (r: Row): AlertChange => ({
  alertId: r.alert_id as string,
  kind: r.kind as AlertChange['kind'],
  at: r.at as number,
  actor: r.actor as string,
  detail: JSON.parse(r.detail as string) as Record<string, unknown>,
});

export const pendingBreachOf = (r: Row): PendingBreach => ({
  sensorId: r.sensor_id as string,
  householdId: r.household_id as string,
  openedAt: r.opened_at as number,
  dueAt: r.due_at as number,
});

export const announcementOf = (r: Row): StoredAnnouncement => ({
  id: r.id as string,
  householdId: r.household_id as string,
  start: r.start_at as number,
  end: r.end_at as number,
  reason: r.reason as string,
  by: r.by as string,
  createdAt: r.created_at as number,
});

export const silenceOf = (r: Row): SensorSilence => ({
  sensorId: r.sensor_id as string,
  until: Number(r.until_at),
  reason: r.reason as string,
  by: r.by as string,
  createdAt: Number(r.created_at),
});

/** A one-time announce link row (or none) judged at `now`. */
export function announceLinkUse(r: Row | undefined, now: number): AnnounceLinkUse {
  if (!r) return { ok: false, reason: 'unknown' };
  if (r.used_at !== null) return { ok: false, reason: 'used' };
  if (now >= (r.expires_at as number)) return { ok: false, reason: 'expired' };
  return { ok: true, householdId: r.household_id as string, createdBy: r.created_by as string };
}

/** What a purged household's message becomes: no address, no names, only that it was purged. */
export const purgedStub = (o: OutboxRow, now: number): string =>
  JSON.stringify({
    id: o.id,
    recipient: o.notification.recipient,
    subject: '',
    view: { severity: o.notification.view.severity, title: '', intro: '', fields: [] },
    data: { alertId: o.alertId, purged: true, purgedAt: now },
  });

/** Rows per read of the alert history: a page of the API stops reading at its end. */
const HISTORY_PAGE = 500;

/**
 * The alert history newest first (ties by id), read a page at a time from where the last page
 * ended, so no statement stays open between the caller's steps. `dialect` picks the placeholders.
 */
export async function* readHistory(
  q: AlertQuery,
  dialect: 'sqlite' | 'postgres',
  read: (sql: string, args: unknown[]) => Row[] | Promise<Row[]>,
): AsyncGenerator<StoredAlert> {
  let after: { openedAt: number; id: string } | null = null;
  for (;;) {
    const { where, param, args } = historyFilter(q, dialect);
    if (after) {
      where.push(
        `(opened_at < ${param(after.openedAt)} OR (opened_at = ${param(after.openedAt)} AND id > ${param(after.id)}))`,
      );
    }
    const rows = await read(
      `SELECT * FROM alerts ${whereClause(where)} ORDER BY opened_at DESC, id LIMIT ${HISTORY_PAGE}`,
      args,
    );
    for (const r of rows) yield alertOf(r);
    const last = rows[rows.length - 1];
    if (!last || rows.length < HISTORY_PAGE) return;
    after = { openedAt: last.opened_at as number, id: last.id as string };
  }
}

/**
 * One page of the history search, newest first, and how many match in all: the database counts
 * and skips (a count by reading every row took 5.6 s over 100,000 alerts on SQLite).
 */
export async function searchHistory(
  q: AlertQuery,
  page: { offset: number; limit: number },
  dialect: 'sqlite' | 'postgres',
  read: (sql: string, args: unknown[]) => Row[] | Promise<Row[]>,
): Promise<{ items: StoredAlert[]; total: number }> {
  const counted = historyFilter(q, dialect);
  const [countRow] = await read(
    `SELECT count(*) AS n FROM alerts ${whereClause(counted.where)}`,
    counted.args,
  );
  const paged = historyFilter(q, dialect);
  const rows = await read(
    `SELECT * FROM alerts ${whereClause(paged.where)} ORDER BY opened_at DESC, id
      LIMIT ${paged.param(page.limit)} OFFSET ${paged.param(page.offset)}`,
    paged.args,
  );
  return { items: rows.map(alertOf), total: Number(countRow?.n ?? 0) };
}

const whereClause = (where: readonly string[]) => (where.length ? `WHERE ${where.join(' AND ')}` : '');

/** The conditions of a history query, with the placeholders of `dialect` and their values. */
function historyFilter(q: AlertQuery, dialect: 'sqlite' | 'postgres') {
  const args: unknown[] = [];
  const param = (v: unknown) => {
    args.push(v);
    return dialect === 'sqlite' ? '?' : `$${args.length}`;
  };
  const where: string[] = [];
  if (q.status) where.push(`status = ${param(q.status)}`);
  if (q.type) where.push(`type = ${param(q.type)}`);
  if (q.openedFrom !== undefined) where.push(`opened_at >= ${param(q.openedFrom)}`);
  if (q.openedTo !== undefined) where.push(`opened_at < ${param(q.openedTo)}`);
  if (q.sensorId !== undefined) where.push(`sensor_id = ${param(q.sensorId)}`);
  if (q.householdId !== undefined) where.push(`household_id = ${param(q.householdId)}`);
  if (q.gridIds !== undefined) where.push(inList('grid_id', q.gridIds, dialect, param));
  if (q.text !== undefined) where.push(textMatch(q.text, q.textHouseholdIds ?? [], dialect, param));
  return { where, param, args };
}

/** `column` is one of `values`: one parameter whatever the list's length. */
function inList(
  column: string,
  values: readonly string[],
  dialect: 'sqlite' | 'postgres',
  param: (v: unknown) => string,
): string {
  return dialect === 'sqlite'
    ? `${column} IN (SELECT value FROM json_each(${param(JSON.stringify(values))}))`
    : `${column} = ANY(${param(values)}::text[])`;
}

/** LIKE's own characters in a user's text are taken literally (ESCAPE '\\'). */
const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The free-text search of the alert history (AlertQuery.text): notes, outcome, matching addresses. */
function textMatch(
  text: string,
  householdIds: readonly string[],
  dialect: 'sqlite' | 'postgres',
  param: (v: unknown) => string,
): string {
  // A placeholder each time, made in the order they appear: SQLite's `?` takes one value per use.
  const pattern = likePattern(text);
  const like = () => `${param(pattern)} ESCAPE '\\'`;
  const inNotes = `lower(coalesce(note, '')) LIKE ${like()} OR lower(coalesce(outcome, '')) LIKE ${like()}`;
  const inChanges = `EXISTS (SELECT 1 FROM alert_changes c WHERE c.alert_id = alerts.id
      AND c.kind IN ('acknowledged', 'commented', 'resolved') AND lower(c.detail) LIKE ${like()})`;
  const atAddress =
    householdIds.length === 0 ? '' : ` OR ${inList('household_id', householdIds, dialect, param)}`;
  return `(${inNotes} OR ${inChanges}${atAddress})`;
}

/** Every alert `readHistory` yields (Node 20 has no Array.fromAsync). */
export async function allOf(alerts: AsyncIterable<StoredAlert>): Promise<StoredAlert[]> {
  const out: StoredAlert[] = [];
  for await (const a of alerts) out.push(a);
  return out;
}
