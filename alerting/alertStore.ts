import type { AuditEntry } from '../registry/auditTrail.ts';
import type { Alert, AlertChange, AlertStatus, AlertType, Announcement } from './alertModel.ts';
import type { DailyReport } from './dailyReport.ts';
import type { Channel } from './notificationPlan.ts';
import type { Notification } from './notifiers/types.ts';
import type { OpenCounter } from './rules/openCount.ts';

/**
 * The alerting engine's persistence port, implemented on SQLite (storage/sqlite/alertStore.ts, the
 * registry's own file) and on PostgreSQL (storage/postgres/postgresAlertStore.ts).
 *
 * A write (`apply`) is one batch in one transaction. A store that finishes it at once returns
 * `undefined`: SQLite does, on the connection whose ingest transaction is open, so a message and
 * the decisions it led to commit together. A store on a server returns the write's promise. Either
 * way the engine decides in one serial queue (engine/decisionQueue.ts): compute from memory, wait
 * for the write, then update memory, so a sweep and a message never interleave half-way and a
 * failed write leaves memory as the database has it. Reads are asynchronous on both.
 *
 * The port is split by who uses it; a store implements all of it (AlertStore).
 */

/** `undefined`: written already (synchronously); otherwise the write's promise. */
export type Written = Promise<void> | undefined;

/** An alert with the rule's detail at opening (lastSeen, battery, silent/monitored …) for texts. */
export interface StoredAlert extends Alert {
  detail: Record<string, unknown>;
}

export type OutboxStatus = 'pending' | 'sending' | 'delivered' | 'failed' | 'folded';
export type OutboxKind = 'alert' | 'summary' | 'report';

export interface OutboxRow {
  id: string;
  /** null for summaries and daily reports. */
  alertId: string | null;
  kind: OutboxKind;
  channel: Channel;
  recipientId: string;
  /** Rendered once when planned: a retry sends exactly the same message. */
  notification: Notification;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  firstAttemptAt: number | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  lastError: string | null;
  /** SMS: the gateway's delivery receipt over all parts (absent until one arrives, and on other channels). */
  receipt?: { status: 'delivered' | 'failed' | 'pending'; detail: string | null; at: number };
}

export type OutboxUpdate = Pick<
  OutboxRow,
  'id' | 'status' | 'attempts' | 'firstAttemptAt' | 'nextAttemptAt' | 'deliveredAt' | 'lastError'
>;

export interface PendingBreach {
  sensorId: string;
  householdId: string;
  openedAt: number;
  dueAt: number;
}

export interface StoredAnnouncement extends Announcement {
  id: string;
  by: string;
  createdAt: number;
}

/** A sensor whose alerts are held back until `until` (engine/silences.ts). */
export interface SensorSilence {
  sensorId: string;
  until: number;
  reason: string;
  /** Who silenced it: a user's name or a token's name. */
  by: string;
  createdAt: number;
}

/** Everything one decision changes, written in one transaction. */
export interface AlertBatch {
  /** Inserted or replaced whole. */
  alerts?: StoredAlert[];
  changes?: AlertChange[];
  outbox?: OutboxRow[];
  outboxUpdates?: OutboxUpdate[];
  lowBattery?: Array<{ sensorId: string; notified: boolean }>;
  openCounters?: Array<{ householdId: string; counter: OpenCounter }>;
  pendingPut?: PendingBreach[];
  pendingDelete?: string[];
  /** Ack-link nonces consumed (single use). */
  nonces?: Array<{ nonce: string; alertId: string; recipientId: string; usedAt: number }>;
  announcements?: StoredAnnouncement[];
  state?: Record<string, string>;
  /** Folded rows now covered by a summary row. */
  summarized?: Array<{ rowId: string; summaryId: string }>;
  /** Daily reports archived (a node's day written again is replaced: a forced run). */
  reports?: ArchivedReport[];
  /** Silences set (a sensor silenced again is replaced). */
  silences?: SensorSilence[];
  /** Sensors whose silence is lifted. */
  silenceDeletes?: string[];
  /** Entries of the audit trail (registry/auditTrail.ts) for what this batch changes. */
  audit?: AuditEntry[];
  /**
   * Set only on a batch that a resend writes again: a delivery's outcome and its line in the alert's
   * history. Its commit does not wait for the disk (SQLite synchronous=NORMAL, PostgreSQL
   * synchronous_commit=off): a power loss right after it may roll it back, and the row is then
   * delivered again after the restart, as after a crash between the send and this record
   * (at-least-once, outboxDispatcher.ts). A crash of the process loses nothing. Every other batch
   * waits for the disk.
   */
  replayable?: true;
}

/** One archived daily report: a grid node's subtree over one local day (TZ_LOCAL). */
export interface ArchivedReport {
  gridId: string;
  /** `YYYY-MM-DD`, the local day reported on. */
  day: string;
  generatedAt: number;
  report: DailyReport;
}

export type ArchivedReportEntry = Omit<ArchivedReport, 'report'>;

/** A page of the archive: only the nodes in `gridIds` (null: every node). */
export interface ReportQuery {
  gridIds: readonly string[] | null;
  limit: number;
  offset: number;
}

/** The daily reports' archive, for the API and the catch-up after downtime. */
export interface ReportArchive {
  /** Newest day first, then by node; only the nodes in `gridIds` (null: every node); and how many in all. */
  listReports(q: ReportQuery): Promise<{ items: ArchivedReportEntry[]; total: number }>;
  getReport(gridId: string, day: string): Promise<ArchivedReport | undefined>;
}

export interface AlertQuery {
  status?: AlertStatus | undefined;
  type?: AlertType | undefined;
  /** Opened in [openedFrom, openedTo). */
  openedFrom?: number;
  openedTo?: number;
  sensorId?: string;
  householdId?: string;
  /** Only alerts of these grid nodes (a caller's subtree); absent: every node. */
  gridIds?: readonly string[];
  /**
   * Free text, matched case-insensitively in the resolution's note and outcome and in the notes of
   * acknowledgements and comments; an alert of one of `textHouseholdIds` (households whose address
   * matched, found by the caller) matches too.
   */
  text?: string;
  textHouseholdIds?: readonly string[];
}

export type AnnounceLinkUse =
  | { ok: true; householdId: string; createdBy: string }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** The engine's decisions: one batch, one transaction. */
export interface AlertWriter {
  apply(batch: AlertBatch): Written;
}

/** What the engine rebuilds its memory from at start. */
export interface AlertMemorySource {
  loadUnresolved(): Promise<StoredAlert[]>;
  loadLowBattery(): Promise<Map<string, boolean>>;
  loadOpenCounters(): Promise<Map<string, OpenCounter>>;
  loadPendingBreaches(): Promise<PendingBreach[]>;
  /** Announcements that have not ended by `now`. */
  loadAnnouncements(now: number): Promise<StoredAnnouncement[]>;
  /** Folded rows no summary has covered yet, oldest first: after a restart they wait for one again. */
  loadFoldedUnsummarized(): Promise<OutboxRow[]>;
  /** Silences that have not ended by `now`. */
  loadSilences(now: number): Promise<SensorSilence[]>;
  getState(key: string): Promise<string | undefined>;
}

/** The alert history, for the API and the daily report. */
export interface AlertHistory {
  get(id: string): Promise<StoredAlert | undefined>;
  /** Newest first. */
  list(query: AlertQuery): Promise<StoredAlert[]>;
  /** Newest first, read a page at a time as the caller goes: a page of the API stops at its end. */
  iterate(query: AlertQuery): AsyncIterable<StoredAlert>;
  /** One page, newest first, and how many match in all (the database counts: GET /api/alerts). */
  search(
    query: AlertQuery,
    page: { offset: number; limit: number },
  ): Promise<{ items: StoredAlert[]; total: number }>;
  changes(alertId: string): Promise<AlertChange[]>;
  deliveries(alertId: string): Promise<OutboxRow[]>;
  nonceUsed(nonce: string): Promise<boolean>;
  /** A household's announced openings, ended ones too, newest start first (its timeline). */
  announcementsOf(householdId: string, limit: number): Promise<StoredAnnouncement[]>;
}

/** The notification outbox, for its dispatcher and /metrics. */
export interface OutboxQueue {
  /** Pending rows due at `now`, oldest deadline first. */
  dueOutbox(now: number, limit: number): Promise<OutboxRow[]>;
  nextOutboxAt(): Promise<number | null>;
  /** Outbox rows by status (pending, sending, delivered, failed, folded), for /metrics. */
  outboxCounts(): Promise<Record<string, number>>;
  /** When the oldest row still to be sent (pending or sending) was made, null when none waits: a stuck outbox, for /metrics. */
  oldestWaitingOutboxAt(): Promise<number | null>;
  /** After a crash: rows claimed but not confirmed go back to pending (at-least-once). */
  requeueSending(now: number): Promise<number>;
  /**
   * Privacy purge: the rendered messages of a household's alerts (they name its address) are
   * replaced by a stub; a row not yet sent is failed. Returns the number of rows touched.
   */
  redactHouseholdMessages(householdId: string, now: number): Promise<number>;
}

/** A household's one-time links to announce an opening (engine/announceFlow.ts). */
export interface AnnounceLinks {
  insertAnnounceLink(link: {
    tokenHash: string;
    householdId: string;
    createdBy: string;
    createdAt: number;
    expiresAt: number;
  }): Promise<void>;
  /** Atomically marks a one-time link used; refuses a used, expired or unknown link. */
  useAnnounceLink(tokenHash: string, now: number): Promise<AnnounceLinkUse>;
  peekAnnounceLink(tokenHash: string, now: number): Promise<AnnounceLinkUse>;
}

export interface AlertStore
  extends AlertWriter,
    AlertMemorySource,
    AlertHistory,
    OutboxQueue,
    AnnounceLinks,
    ReportArchive {}
