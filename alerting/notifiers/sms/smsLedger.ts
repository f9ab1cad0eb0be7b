import type { ReceiptOutcome } from './deliveryReceipt.ts';

/**
 * The SMS channel's persistence port (storage/sqlite/smsLedger.ts, storage/postgres/smsLedger.ts):
 * which gateway message ids an SMS delivery got, so a delivery receipt arriving minutes (or a restart)
 * later finds its outbox row, whose `receipt` the alert's deliveries then show.
 */
export interface SmsLedger {
  /** The gateway accepted the delivery's parts under these ids (one per part, in order). */
  recordSubmitted(outboxId: string, messageIds: readonly string[], at: number): Promise<void>;
  /**
   * A receipt for one part. Returns the delivery's receipt over all its parts after it (failed if any
   * part failed, delivered once all are, else pending), or null when no submitted part has this id.
   */
  recordReceipt(
    messageId: string,
    receipt: { outcome: ReceiptOutcome; detail: string },
    at: number,
  ): Promise<{
    outboxId: string;
    alertId: string | null;
    recipientId: string;
    receipt: ReceiptOutcome;
  } | null>;
}

/**
 * The one SQL statement both stores run to put a delivery's receipt together from its parts' (same
 * text for SQLite and PostgreSQL, `?` placeholders: outbox id ×3, detail, time). One statement, so
 * two parts' receipts arriving together cannot leave the older sum last. A failed part's detail stays.
 */
export const SUM_RECEIPT_SQL = `UPDATE outbox SET
    receipt = CASE
      WHEN EXISTS (SELECT 1 FROM sms_messages WHERE outbox_id = ? AND receipt = 'failed') THEN 'failed'
      WHEN NOT EXISTS (SELECT 1 FROM sms_messages WHERE outbox_id = ?
        AND (receipt IS NULL OR receipt <> 'delivered')) THEN 'delivered'
      ELSE 'pending' END,
    receipt_detail = CASE WHEN receipt = 'failed' THEN receipt_detail ELSE ? END,
    receipt_at = ?
  WHERE id = ?
  RETURNING id, alert_id, recipient_id, receipt`;
