import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { AlertChange } from '../alertModel.ts';
import type { AlertBatch, OutboxRow, PendingBreach, StoredAlert } from '../alertStore.ts';
import type { OpenCounter } from '../rules/openCount.ts';

/** One decision's changes: what to write in one transaction, and what to tell once it is written. */
export class DecisionBatch {
  readonly alerts = new Map<string, StoredAlert>();
  readonly changes: AlertChange[] = [];
  readonly outbox: OutboxRow[] = [];
  readonly lowBattery: Array<{ sensorId: string; notified: boolean }> = [];
  readonly openCounters: Array<{ householdId: string; counter: OpenCounter }> = [];
  readonly pendingPut: PendingBreach[] = [];
  readonly pendingDelete: string[] = [];
  readonly summarized: Array<{ rowId: string; summaryId: string }> = [];
  /** People's changes for the audit trail (an assignment). */
  readonly audit: AuditEntry[] = [];
  state: Record<string, string> = {};

  put(alert: StoredAlert, change: AlertChange | null): void {
    this.alerts.set(alert.id, alert);
    if (change) this.changes.push(change);
  }

  get empty(): boolean {
    return (
      this.alerts.size === 0 &&
      this.changes.length === 0 &&
      this.outbox.length === 0 &&
      this.lowBattery.length === 0 &&
      this.openCounters.length === 0 &&
      this.pendingPut.length === 0 &&
      this.pendingDelete.length === 0 &&
      this.summarized.length === 0 &&
      this.audit.length === 0 &&
      Object.keys(this.state).length === 0
    );
  }

  /** The store's view of it. */
  toWrite(): AlertBatch {
    return {
      alerts: [...this.alerts.values()],
      changes: this.changes,
      outbox: this.outbox,
      lowBattery: this.lowBattery,
      openCounters: this.openCounters,
      pendingPut: this.pendingPut,
      pendingDelete: this.pendingDelete,
      summarized: this.summarized,
      ...(this.audit.length > 0 ? { audit: this.audit } : {}),
      state: this.state,
    };
  }

  /** The changed alerts with their change, in the order they happened, for the bus and telemetry. */
  toTell(): Array<{ alert: StoredAlert; change: AlertChange }> {
    return this.changes.map((change) => ({ alert: this.alerts.get(change.alertId)!, change }));
  }
}

/** A new outbox row, due now. Its message is rendered once: a retry sends exactly the same. */
export function pendingOutboxRow(
  row: Pick<OutboxRow, 'id' | 'alertId' | 'kind' | 'channel' | 'recipientId' | 'notification'>,
  now: number,
): OutboxRow {
  return {
    ...row,
    status: 'pending',
    attempts: 0,
    createdAt: now,
    firstAttemptAt: null,
    nextAttemptAt: now,
    deliveredAt: null,
    lastError: null,
  };
}
