/**
 * SMSC delivery receipts. A receipt is a deliver_sm whose esm_class message type is "SMSC Delivery
 * Receipt" (bits 5–2 = 0001, i.e. esm_class & 0x3C == 0x04; SMPP 3.4 §5.2.12). Its short_message is
 * the de-facto format of SMPP 3.4 Appendix B:
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E Text:…
 * and an SMSC on 3.4 may add the TLVs receipted_message_id (§5.3.2.12) and message_state (§5.3.2.35),
 * which win over the text when present.
 */

export const ESM_CLASS_TYPE_MASK = 0x3c;
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;

export type ReceiptOutcome = 'delivered' | 'failed' | 'pending';

export interface DeliveryReceipt {
  /** The message_id submit_sm_resp gave, as the receipt names it. */
  messageId: string;
  /** The final state as the receipt spells it: DELIVRD, UNDELIV, EXPIRED, REJECTD, … */
  stat: string;
  err: string | null;
  outcome: ReceiptOutcome;
}

/** message_state values (SMPP 3.4 §5.2.28) as the Appendix B stat words. */
const MESSAGE_STATE: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

const FAILED = new Set(['EXPIRED', 'DELETED', 'UNDELIV', 'UNKNOWN', 'REJECTD']);

export function outcomeOf(stat: string): ReceiptOutcome {
  if (stat === 'DELIVRD') return 'delivered';
  if (FAILED.has(stat)) return 'failed';
  // ENROUTE, ACCEPTD: an intermediate notification, not the end.
  return 'pending';
}

export function isDeliveryReceipt(esmClass: number): boolean {
  return (esmClass & ESM_CLASS_TYPE_MASK) === ESM_CLASS_DELIVERY_RECEIPT;
}

/** The receipt in a deliver_sm, or null when its text and TLVs name no message. */
export function parseReceipt(input: {
  text: string;
  receiptedMessageId?: string | undefined;
  messageState?: number | undefined;
}): DeliveryReceipt | null {
  const field = (name: string): string | null => {
    const m = new RegExp(`(?:^|\\s)${name}:(\\S*)`, 'i').exec(input.text);
    return m?.[1] ?? null;
  };
  const messageId = input.receiptedMessageId || field('id');
  if (!messageId) return null;
  const fromState = input.messageState === undefined ? undefined : MESSAGE_STATE[input.messageState];
  const stat = (fromState ?? field('stat') ?? 'UNKNOWN').toUpperCase();
  return { messageId, stat, err: field('err'), outcome: outcomeOf(stat) };
}

/**
 * The forms one message id takes: some SMSCs answer submit_sm_resp with a hexadecimal id and write it
 * in decimal in the receipt text (or the other way round), so a receipt is looked up under both.
 */
export function messageIdForms(id: string): string[] {
  const forms = new Set([id]);
  if (/^[0-9]{1,15}$/.test(id)) forms.add(Number(id).toString(16));
  if (/^[0-9a-fA-F]{1,12}$/.test(id)) forms.add(String(Number.parseInt(id, 16)));
  return [...forms];
}
