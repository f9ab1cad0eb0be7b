import type { Logger } from 'pino';
import type { Clock } from '../../alertModel.ts';
import type { DeliveryResult, Notification } from '../types.ts';
import { normalisePhone } from './phoneNumber.ts';
import { newStats, type ReplyHandler, type SmsChannel, type SmsStats } from './smsChannel.ts';
import type { SmsLedger } from './smsLedger.ts';

/** What one cloud API call gave: the gateway's id of the message, or how it failed. */
export type CloudAnswer =
  | { ok: true; messageId: string }
  | { ok: false; result: Extract<DeliveryResult, { status: 'retryable' | 'permanent' }> };

/** A cloud's SendSms: one templated message to one phone (normalised, mainland without +86). */
export type CloudSend = (phone: string, n: Notification, now: number) => Promise<CloudAnswer>;

/**
 * The SMS channel over a cloud's HTTP API (Aliyun, Tencent Cloud): the approved template with the
 * alert's facts as variables (notification.sms.vars, rendered when planned). The gateway's id of the
 * message (BizId, SerialNo) goes to the ledger like an SMPP message_id, for a receipt to find later.
 */
export function createCloudChannel(o: {
  gateway: 'aliyun' | 'tencent';
  send: CloudSend;
  ledger: SmsLedger;
  clock: Clock;
  logger: Logger;
}): SmsChannel {
  const stats: SmsStats = newStats(o.gateway);
  let reachable = false;
  return {
    channel: 'sms',
    start() {},
    stats: () => ({ ...stats, up: reachable }),
    // Replies reach a cloud account through its callback or pull API, which are not wired yet.
    onReply(_handler: ReplyHandler) {},
    async send(n: Notification): Promise<DeliveryResult> {
      const phone = n.recipient.phone ? normalisePhone(n.recipient.phone) : '';
      if (!phone)
        return { status: 'permanent', error: `recipient ${n.recipient.id} has no usable phone number` };
      if (!n.sms)
        return {
          status: 'permanent',
          error: `${o.gateway} SMS sends templates only; this notification has none`,
        };
      let answer: CloudAnswer;
      try {
        answer = await o.send(phone, n, o.clock.now());
      } catch (err) {
        reachable = false;
        stats.failed += 1;
        return { status: 'retryable', error: `${o.gateway} SMS API unreachable: ${networkReason(err)}` };
      }
      reachable = true;
      if (!answer.ok) {
        stats.failed += 1;
        return answer.result;
      }
      await o.ledger.recordSubmitted(n.id, [answer.messageId], o.clock.now()).catch((err: unknown) => {
        o.logger.error({ err, outboxId: n.id }, 'SMS message id not recorded; its receipt will be unmatched');
      });
      stats.sent += 1;
      return { status: 'delivered', detail: `accepted by ${o.gateway} as ${answer.messageId}` };
    },
    async close() {},
  };
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
