import type { Alert, AlertChange, AlertStatus, AlertType, Announcement } from './alertModel.ts';
import type { Channel } from './notificationPlan.ts';
import type { Notification } from './notifiers/types.ts';
import type { OpenCounter } from './rules/openCount.ts';

/**
 * The alerting engine's persistence port (storage/sqlite/alertStore.ts implements it on the same
 * SQLite file as the registry). It is synchronous on purpose: one decision batch is applied in one
 * transaction with no await inside, so a sweep and a message can never interleave half-way. A store
 * on another database would put a queue in front of it.
 */

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
}

export interface AlertQuery {
  status?: AlertStatus | undefined;
  type?: AlertType | undefined;
  /** Opened in [openedFrom, openedTo). */
  openedFrom?: number;
  openedTo?: number;
}

export type AnnounceLinkUse =
  | { ok: true; householdId: string; createdBy: string }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export interface AlertStore {
  apply(batch: AlertBatch): void;
  get(id: string): StoredAlert | undefined;
  loadUnresolved(): StoredAlert[];
  /** Newest first. */
  list(query: AlertQuery): StoredAlert[];
  /**
   * Newest first, read as the caller goes: a page of the history stops reading at the page's end.
   * Consume it without awaiting in between (the SQLite connection is busy until it ends).
   */
  iterate(query: AlertQuery): IterableIterator<StoredAlert>;
  changes(alertId: string): AlertChange[];
  deliveries(alertId: string): OutboxRow[];
  /** Pending rows due at `now`, oldest deadline first. */
  dueOutbox(now: number, limit: number): OutboxRow[];
  nextOutboxAt(): number | null;
  /** Outbox rows by status (pending, sending, delivered, failed, folded), for /metrics. */
  outboxCounts(): Record<string, number>;
  /** Folded rows no summary has covered yet, oldest first: after a restart they wait for one again. */
  loadFoldedUnsummarized(): OutboxRow[];
  /** After a crash: rows claimed but not confirmed go back to pending (at-least-once). */
  requeueSending(now: number): number;
  nonceUsed(nonce: string): boolean;
  loadLowBattery(): Map<string, boolean>;
  loadOpenCounters(): Map<string, OpenCounter>;
  loadPendingBreaches(): PendingBreach[];
  /** Announcements that have not ended by `now`. */
  loadAnnouncements(now: number): StoredAnnouncement[];
  getState(key: string): string | undefined;
  insertAnnounceLink(link: {
    tokenHash: string;
    householdId: string;
    createdBy: string;
    createdAt: number;
    expiresAt: number;
  }): void;
  /** Atomically marks a one-time link used; refuses a used, expired or unknown link. */
  useAnnounceLink(tokenHash: string, now: number): AnnounceLinkUse;
  peekAnnounceLink(tokenHash: string, now: number): AnnounceLinkUse;
  /**
   * Privacy purge: the rendered messages of a household's alerts (they name its address) are
   * replaced by a stub; a row not yet sent is failed. Returns the number of rows touched.
   */
  redactHouseholdMessages(householdId: string, now: number): number;
}
