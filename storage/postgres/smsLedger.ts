import type { ReceiptOutcome } from '../../alerting/notifiers/sms/deliveryReceipt.ts';
import { type SmsLedger, SUM_RECEIPT_SQL } from '../../alerting/notifiers/sms/smsLedger.ts';
import type { Pool } from './openPool.ts';

/** `?` placeholders as PostgreSQL's `$n`. */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};
const SUM = numbered(SUM_RECEIPT_SQL);

/** The SMS channel's message ids and receipts (alerting/notifiers/sms/smsLedger.ts) on PostgreSQL. */
export class PostgresSmsLedger implements SmsLedger {
  constructor(private readonly pool: Pool) {}

  async recordSubmitted(outboxId: string, messageIds: readonly string[], at: number): Promise<void> {
    if (messageIds.length === 0) return;
    // One statement: all parts or none.
    await this.pool.query(
      `INSERT INTO sms_messages (outbox_id, part, message_id, submitted_at)
       SELECT $1, p.part, p.message_id, $3 FROM unnest($2::text[]) WITH ORDINALITY AS p(message_id, part)
       ON CONFLICT (outbox_id, part) DO UPDATE SET message_id = excluded.message_id,
         submitted_at = excluded.submitted_at, receipt = NULL, receipt_at = NULL`,
      [outboxId, messageIds, at],
    );
  }

  async recordReceipt(messageId: string, receipt: { outcome: ReceiptOutcome; detail: string }, at: number) {
    const marked = await this.pool.query(
      `UPDATE sms_messages SET receipt = $2, receipt_at = $3
       WHERE (outbox_id, part) = (SELECT outbox_id, part FROM sms_messages WHERE message_id = $1
         ORDER BY submitted_at DESC LIMIT 1)
       RETURNING outbox_id`,
      [messageId, receipt.outcome, at],
    );
    const outboxId = marked.rows[0]?.outbox_id as string | undefined;
    if (!outboxId) return null;
    const row = (await this.pool.query(SUM, [outboxId, outboxId, receipt.detail, at, outboxId])).rows[0] as
      | Record<string, unknown>
      | undefined;
    if (!row) return null;
    return {
      outboxId: row.id as string,
      alertId: (row.alert_id as string | null) ?? null,
      recipientId: row.recipient_id as string,
      receipt: row.receipt as ReceiptOutcome,
    };
  }
}
