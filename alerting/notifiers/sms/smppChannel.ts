import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PDU } from 'smpp';
import type { SmppTarget } from '../../../core/smsUrl.ts';
import type { Clock } from '../../alertModel.ts';
import type { DeliveryResult, Notification } from '../types.ts';
import { isDeliveryReceipt, messageIdForms, parseReceipt } from './deliveryReceipt.ts';
import { normalisePhone, smppAddress } from './phoneNumber.ts';
import { ESME, SmppSession, type SmppSessionOptions } from './smppSession.ts';
import { bump, newStats, type ReplyHandler, type SmsChannel } from './smsChannel.ts';
import { decodeShortMessage, encodeSms } from './smsEncoding.ts';
import type { SmsLedger } from './smsLedger.ts';
import { smsTextOfView } from './smsText.ts';

/** submit_sm answers that no retry of the same message can change (SMPP 3.4 §5.1.3). */
const PERMANENT = new Set<number>([
  ESME.RINVMSGLEN,
  ESME.RINVSRCADR,
  ESME.RINVDSTADR,
  ESME.RINVESMCLASS,
  ESME.RINVDCS,
]);
/** The SMSC is busy: wait, then the same message again. */
const BUSY: Record<number, number> = { [ESME.RTHROTTLED]: 1_000, [ESME.RMSGQFUL]: 5_000 };

const hex = (status: number) => `0x${status.toString(16).padStart(8, '0')}`;

/**
 * The SMS channel over SMPP 3.4: each notification's text (rendered when planned) goes to the
 * recipient's phone as one submit_sm per part (smsEncoding.ts), with registered_delivery 1 (§5.2.17:
 * a receipt for the final outcome, success or failure). The parts' message_ids go to the ledger, so a
 * receipt later finds its delivery; a mobile-originated deliver_sm is a reply, handed to the engine.
 *
 * A delivery is `delivered` once the SMSC has accepted every part (what the SMSC can promise); the
 * handset's receipt is the delivery's `receipt`. If some parts were accepted and another refused, the
 * retry sends all parts again, with the same concatenation reference so the phone can merge them.
 */
export function createSmppChannel(o: {
  target: SmppTarget;
  ledger: SmsLedger;
  clock: Clock;
  logger: Logger;
  session?: Partial<
    Pick<SmppSessionOptions, 'enquireLinkMs' | 'requestTimeoutMs' | 'bindWaitMs' | 'reconnect'>
  >;
}): SmsChannel {
  const stats = newStats('smpp');
  let onReply: ReplyHandler | null = null;
  /** Ledger writes under way: a receipt waits for them (the SMSC may answer faster than we write). */
  const recording = new Set<Promise<void>>();
  const logger = o.logger.child({ channel: 'sms', gateway: 'smpp' });

  const session = new SmppSession({
    target: o.target,
    logger,
    ...o.session,
    onDeliver: async (pdu) => {
      const text = textOf(pdu);
      if (isDeliveryReceipt(Number(pdu.esm_class ?? 0))) {
        await receipt(pdu, text);
        return ESME.ROK;
      }
      const from = String(pdu.source_addr ?? '');
      const result = onReply ? await onReply({ from, text }) : 'unknown_code';
      bump(stats.replies, result);
      return ESME.ROK;
    },
  });

  async function receipt(pdu: PDU, text: string): Promise<void> {
    const r = parseReceipt({
      text,
      receiptedMessageId: typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id : undefined,
      messageState: typeof pdu.message_state === 'number' ? pdu.message_state : undefined,
    });
    if (!r) {
      bump(stats.receipts, 'unmatched');
      return;
    }
    await Promise.allSettled([...recording]);
    const detail = r.err && r.err !== '000' ? `${r.stat} err:${r.err}` : r.stat;
    for (const id of messageIdForms(r.messageId)) {
      const found = await o.ledger.recordReceipt(id, { outcome: r.outcome, detail }, o.clock.now());
      if (!found) continue;
      bump(stats.receipts, r.outcome);
      logger.info(
        { outboxId: found.outboxId, alertId: found.alertId, recipientId: found.recipientId, stat: r.stat },
        'SMS delivery receipt',
      );
      return;
    }
    bump(stats.receipts, 'unmatched');
    logger.debug({ messageId: r.messageId, stat: r.stat }, 'receipt for a message this service did not send');
  }

  async function send(n: Notification): Promise<DeliveryResult> {
    const phone = n.recipient.phone;
    if (!phone || !normalisePhone(phone))
      return { status: 'permanent', error: `recipient ${n.recipient.id} has no usable phone number` };
    const dest = smppAddress(phone);
    const source = o.target.sourceAddr;
    const parts = encodeSms(n.sms?.text ?? smsTextOfView(n.view), referenceOf(n.id));
    let answers: PDU[];
    try {
      answers = await Promise.all(
        parts.map((p) =>
          session.submit({
            service_type: o.target.systemType,
            // An alphanumeric sender (TON 5, §5.2.5) or the numeric one the gateway assigned.
            source_addr: source ?? '',
            source_addr_ton: source && !/^\+?\d+$/.test(source) ? 5 : 0,
            source_addr_npi: source && !/^\+?\d+$/.test(source) ? 0 : 1,
            destination_addr: dest.addr,
            dest_addr_ton: dest.ton,
            dest_addr_npi: dest.npi,
            esm_class: p.esmClass,
            data_coding: p.dataCoding,
            registered_delivery: 1,
            short_message: p.shortMessage,
          }),
        ),
      );
    } catch (err) {
      stats.failed += 1;
      return { status: 'retryable', error: `smpp: ${(err as Error).message}` };
    }
    const refused = answers.find((a) => a.command_status !== ESME.ROK);
    if (refused) {
      stats.failed += 1;
      const status = refused.command_status;
      const error = `smpp submit_sm refused: command_status ${hex(status)}`;
      if (PERMANENT.has(status)) return { status: 'permanent', error };
      const wait = BUSY[status];
      return wait === undefined
        ? { status: 'retryable', error }
        : { status: 'retryable', error, retryAfterMs: wait };
    }
    const ids = answers.map((a) => String(a.message_id ?? ''));
    const write = o.ledger.recordSubmitted(n.id, ids, o.clock.now()).catch((err: unknown) => {
      // Sent all the same: only its receipt will not find it.
      logger.error({ err, outboxId: n.id }, 'SMS message ids not recorded; its receipt will be unmatched');
    });
    recording.add(write);
    await write;
    recording.delete(write);
    stats.sent += 1;
    return { status: 'delivered', detail: `accepted by the SMSC as ${ids.join(', ')}` };
  }

  return {
    channel: 'sms',
    start: () => session.start(),
    send,
    stats: () => ({ ...stats, up: session.up }),
    onReply(handler) {
      onReply = handler;
    },
    close: () => session.stop(),
  };
}

/** The concatenation reference of a notification: the same on every retry of it. */
function referenceOf(outboxId: string): number {
  return createHash('sha256').update(outboxId).digest()[0] ?? 0;
}

/** A deliver_sm's text: short_message, or message_payload (§5.3.2.32) when that is empty. */
function textOf(pdu: PDU): string {
  return textOfField(pdu, pdu.short_message) || textOfField(pdu, pdu.message_payload);
}

function textOfField(pdu: PDU, value: unknown): string {
  if (Buffer.isBuffer(value))
    return decodeShortMessage(value, Number(pdu.data_coding ?? 0), Number(pdu.esm_class ?? 0)).text;
  // node-smpp decodes short_message to { message, udh } by data_coding (lib/defs.js filters.message).
  const message = (value as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('latin1');
  return '';
}
