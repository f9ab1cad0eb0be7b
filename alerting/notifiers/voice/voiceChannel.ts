import type { Logger } from 'pino';
import type { VoiceTarget } from '../../../core/voiceUrl.ts';
import type { Clock } from '../../alertModel.ts';
import { normalisePhone } from '../sms/phoneNumber.ts';
import type { SmsLedger } from '../sms/smsLedger.ts';
import type { DeliveryResult, Notification, Notifier } from '../types.ts';

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
}

export interface VoiceChannel extends Notifier {
  readonly channel: 'voice';
  stats(): VoiceStats;
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
  const stats: VoiceStats = { vendor: target.kind, up: false, placed: 0, failed: 0 };
  return {
    channel: 'voice',
    stats: () => ({ ...stats }),
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
          error: `${target.kind} voice API unreachable: ${(err as Error).message}`,
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
