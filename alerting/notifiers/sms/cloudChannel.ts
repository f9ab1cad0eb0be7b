import type { Logger } from 'pino';
import type { Clock } from '../../alertModel.ts';
import { callbackTokenMatches } from '../cloudApi.ts';
import { networkReason } from '../httpPost.ts';
import type { DeliveryResult, Notification } from '../types.ts';
import { CALLBACK_OK, readCallback } from './cloudCallbacks.ts';
import { normalisePhone } from './phoneNumber.ts';
import { bump, newStats, type ReplyHandler, type SmsChannel, type SmsStats } from './smsChannel.ts';
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
 * message (BizId, SerialNo) goes to the ledger like an SMPP message_id, for the cloud's receipt push
 * to find later; its reply push acknowledges as over SMPP (cloudCallbacks.ts, api/routes/smsCallbacks.ts).
 */
export function createCloudChannel(o: {
  gateway: 'aliyun' | 'tencent';
  send: CloudSend;
  /** SMS_URL's `callback=`: pushes carrying another token (or any, when null) are refused. */
  callbackToken: string | null;
  ledger: SmsLedger;
  clock: Clock;
  logger: Logger;
}): SmsChannel {
  const stats: SmsStats = newStats(o.gateway);
  let reachable = false;
  let onReply: ReplyHandler | null = null;
  return {
    channel: 'sms',
    start() {},
    stats: () => ({ ...stats, up: reachable }),
    onReply(handler) {
      onReply = handler;
    },
    async callback(kind, token, body) {
      if (!callbackTokenMatches(o.callbackToken, token)) return { ok: false, reason: 'unauthorized' };
      const content = readCallback(o.gateway, kind, body);
      for (const r of content.receipts) {
        const found = await o.ledger.recordReceipt(
          r.messageId,
          { outcome: r.outcome, detail: r.detail },
          o.clock.now(),
        );
        bump(stats.receipts, found ? r.outcome : 'unmatched');
        if (found)
          o.logger.info(
            {
              outboxId: found.outboxId,
              alertId: found.alertId,
              recipientId: found.recipientId,
              stat: r.detail,
            },
            'SMS delivery receipt',
          );
      }
      for (const reply of content.replies)
        bump(stats.replies, onReply ? await onReply(reply) : 'unknown_code');
      return { ok: true, answer: CALLBACK_OK[o.gateway] };
    },
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
