import type { Logger } from 'pino';
import type { SmsTarget } from '../../../core/smsUrl.ts';
import type { Clock } from '../../alertModel.ts';
import { aliyunSend } from './aliyunSms.ts';
import { createCloudChannel } from './cloudChannel.ts';
import { createSmppChannel } from './smppChannel.ts';
import type { SmsChannel } from './smsChannel.ts';
import type { SmsLedger } from './smsLedger.ts';
import { tencentSend } from './tencentSms.ts';

/** The SMS channel SMS_URL names: an SMPP gateway, Aliyun SMS or Tencent Cloud SMS. */
export function createSmsChannel(
  target: SmsTarget,
  deps: { ledger: SmsLedger; clock: Clock; logger: Logger },
): SmsChannel {
  switch (target.kind) {
    case 'smpp':
      return createSmppChannel({ target, ...deps });
    case 'aliyun':
      return createCloudChannel({
        gateway: 'aliyun',
        send: aliyunSend(target),
        callbackToken: target.callbackToken,
        ...deps,
      });
    case 'tencent':
      return createCloudChannel({
        gateway: 'tencent',
        send: tencentSend(target),
        callbackToken: target.callbackToken,
        ...deps,
      });
  }
}
