import type { Logger } from 'pino';
import type { VoiceTarget } from '../../../core/voiceUrl.ts';
import type { Clock } from '../../alertModel.ts';
import type { SmsLedger } from '../sms/smsLedger.ts';
import { aliyunCall } from './aliyunVoice.ts';
import { tencentCall } from './tencentVoice.ts';
import { type VoiceChannel, voiceChannelOver } from './voiceChannel.ts';

/** The voice channel VOICE_URL names: Aliyun VMS or Tencent Cloud VMS. */
export function createVoiceChannel(
  target: VoiceTarget,
  deps: { ledger: SmsLedger; clock: Clock; logger: Logger },
): VoiceChannel {
  const place = target.kind === 'aliyun' ? aliyunCall(target) : tencentCall(target);
  return voiceChannelOver(target, { ...deps, place });
}
