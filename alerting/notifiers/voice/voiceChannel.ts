import type { Logger } from 'pino';
import type { VoiceTarget } from '../../../core/voiceUrl.ts';
import type { Clock } from '../../alertModel.ts';
import { callbackTokenMatches } from '../cloudApi.ts';
import { networkReason } from '../httpPost.ts';
import { normalisePhone } from '../sms/phoneNumber.ts';
import type { SmsLedger } from '../sms/smsLedger.ts';
import type { DeliveryResult, Notification, Notifier } from '../types.ts';
import { ACK_KEY, readVoiceCallback, VOICE_CALLBACK_OK } from './voiceCallbacks.ts';

/** What one call request gave: the vendor's id of the call, or how it failed. */
export type CallAnswer =
  | { ok: true; callId: string }
  | { ok: false; result: Extract<DeliveryResult, { status: 'retryable' | 'permanent' }> };

/** A vendor's TTS call to one phone (normalised, mainland without +86). */
export type PlaceCall = (phone: string, n: Notification, now: number) => Promise<CallAnswer>;

/** `sealwatch_voice_calls_total{result}`: calls the vendor accepted (placed) and refused or unreachable (failed). */
export interface VoiceStats {
  vendor: 'aliyun' | 'tencent';
  up: boolean;
  placed: number;
  failed: number;
  /** The vendor's reports by outcome: answered, not_answered, acknowledged (key 1), unmatched. */
  reports: Record<string, number>;
}

/** A worker pressed the acknowledge key in the call to this delivery (the engine acknowledges as them). */
export type KeyAckHandler = (d: { alertId: string; recipientId: string }) => Promise<void>;

export interface VoiceChannel extends Notifier {
  readonly channel: 'voice';
  stats(): VoiceStats;
  onAcknowledge(handler: KeyAckHandler): void;
  /**
   * A cloud's push of call reports (api/routes/voiceCallbacks.ts): `unauthorized` unless the token
   * is VOICE_URL's `callback=`.
   */
  callback(
    token: string | undefined,
    body: unknown,
  ): Promise<{ ok: true; answer: Record<string, unknown> } | { ok: false; reason: 'unauthorized' }>;
}

/**
 * The voice channel (VOICE_URL, issue 17.2): a text-to-speech template call to the worker's phone,
 * with the alert's type, place and time as the template's variables (notification.voice, rendered
 * when planned). The vendor's call id goes to the SMS ledger as a message id (the same table: one
 * id per delivery), so the call's outcome, when the vendor reports it, lands on the delivery's
 * `receipt` as an SMS receipt does; the accepted call id is in the alert's history at once.
 */
export function voiceChannelOver(
  target: VoiceTarget,
  deps: { ledger: SmsLedger; clock: Clock; logger: Logger; place: PlaceCall },
): VoiceChannel {
  const { place } = deps;
  const stats: VoiceStats = { vendor: target.kind, up: false, placed: 0, failed: 0, reports: {} };
  const count = (key: string) => {
    stats.reports[key] = (stats.reports[key] ?? 0) + 1;
  };
  let onAck: KeyAckHandler | null = null;
  return {
    channel: 'voice',
    stats: () => ({ ...stats, reports: { ...stats.reports } }),
    onAcknowledge(handler) {
      onAck = handler;
    },
    async callback(token, body) {
      if (!callbackTokenMatches(target.callbackToken, token)) return { ok: false, reason: 'unauthorized' };
      for (const r of readVoiceCallback(target.kind, body)) {
        // A key press means the call was answered; the ledger finds the delivery by the call's id.
        const answered = r.answered ?? true;
        const found = await deps.ledger.recordReceipt(
          r.callId,
          {
            outcome: answered ? 'delivered' : 'failed',
            detail: r.keys ? `${r.detail}, keys ${r.keys}` : r.detail,
          },
          deps.clock.now(),
        );
        if (!found) {
          count('unmatched');
          continue;
        }
        if (r.answered !== null) count(r.answered ? 'answered' : 'not_answered');
        deps.logger.info(
          {
            outboxId: found.outboxId,
            alertId: found.alertId,
            recipientId: found.recipientId,
            detail: r.detail,
          },
          'voice call report',
        );
        if (r.keys.includes(ACK_KEY) && found.alertId && onAck) {
          await onAck({ alertId: found.alertId, recipientId: found.recipientId });
          count('acknowledged');
        }
      }
      return { ok: true, answer: VOICE_CALLBACK_OK[target.kind] };
    },
    async send(n: Notification): Promise<DeliveryResult> {
      const phone = n.recipient.phone ? normalisePhone(n.recipient.phone) : '';
      if (!phone)
        return { status: 'permanent', error: `recipient ${n.recipient.id} has no usable phone number` };
      if (!n.voice)
        return { status: 'permanent', error: 'voice calls read templates only; this notification has none' };
      let answer: CallAnswer;
      try {
        answer = await place(phone, n, deps.clock.now());
      } catch (err) {
        stats.up = false;
        stats.failed += 1;
        return {
          status: 'retryable',
          error: `${target.kind} voice API unreachable: ${networkReason(err)}`,
        };
      }
      stats.up = true;
      if (!answer.ok) {
        stats.failed += 1;
        return answer.result;
      }
      stats.placed += 1;
      await deps.ledger.recordSubmitted(n.id, [answer.callId], deps.clock.now()).catch((err: unknown) => {
        deps.logger.error({ err, outboxId: n.id }, 'voice call id not recorded');
      });
      deps.logger.info(
        { outboxId: n.id, recipientId: n.recipient.id, callId: answer.callId },
        'voice call placed',
      );
      return { status: 'delivered', detail: `call placed by ${target.kind} as ${answer.callId}` };
    },
    async close() {},
  };
}
