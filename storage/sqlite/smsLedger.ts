import type { ReceiptOutcome } from '../../alerting/notifiers/sms/deliveryReceipt.ts';
import { type SmsLedger, SUM_RECEIPT_SQL } from '../../alerting/notifiers/sms/smsLedger.ts';
import type { Db } from './openDatabase.ts';

/** The SMS channel's message ids and receipts (alerting/notifiers/sms/smsLedger.ts) on the SQLite file. */
export class SqliteSmsLedger implements SmsLedger {
  private readonly stmt;
  private readonly submitTx: (outboxId: string, ids: readonly string[], at: number) => void;
  private readonly receiptTx: (
    messageId: string,
    receipt: { outcome: ReceiptOutcome; detail: string },
    at: number,
  ) => Record<string, unknown> | undefined;

  constructor(db: Db) {
    this.stmt = {
      putPart: db.prepare(
        `INSERT INTO sms_messages (outbox_id, part, message_id, submitted_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (outbox_id, part) DO UPDATE SET message_id = excluded.message_id,
           submitted_at = excluded.submitted_at, receipt = NULL, receipt_at = NULL`,
      ),
      findPart: db.prepare(
        'SELECT outbox_id, part FROM sms_messages WHERE message_id = ? ORDER BY submitted_at DESC LIMIT 1',
      ),
      markPart: db.prepare(
        'UPDATE sms_messages SET receipt = ?, receipt_at = ? WHERE outbox_id = ? AND part = ?',
      ),
      sum: db.prepare(SUM_RECEIPT_SQL),
    };
    this.submitTx = db.transaction((outboxId: string, ids: readonly string[], at: number) => {
      for (const [i, id] of ids.entries()) this.stmt.putPart.run(outboxId, i + 1, id, at);
    });
    this.receiptTx = db.transaction(
      (messageId: string, receipt: { outcome: ReceiptOutcome; detail: string }, at: number) => {
        const part = this.stmt.findPart.get(messageId) as { outbox_id: string; part: number } | undefined;
        if (!part) return undefined;
        this.stmt.markPart.run(receipt.outcome, at, part.outbox_id, part.part);
        const o = part.outbox_id;
        return this.stmt.sum.get(o, o, receipt.detail, at, o) as Record<string, unknown> | undefined;
      },
    );
  }

  async recordSubmitted(outboxId: string, messageIds: readonly string[], at: number): Promise<void> {
    this.submitTx(outboxId, messageIds, at);
  }

  async recordReceipt(messageId: string, receipt: { outcome: ReceiptOutcome; detail: string }, at: number) {
    const row = this.receiptTx(messageId, receipt, at);
    if (!row) return null;
    return {
      outboxId: row.id as string,
      alertId: (row.alert_id as string | null) ?? null,
      recipientId: row.recipient_id as string,
      receipt: row.receipt as ReceiptOutcome,
    };
  }
}
