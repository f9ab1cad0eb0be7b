/**
 * What the clouds push back to us: delivery receipts and the workers' replies, as their
 * documentation gives them, read into the channel's own terms. Both push JSON to a URL set in their
 * console (README, "SMS"), which carries the token from SMS_URL's `callback=`.
 *
 * Aliyun, HTTP batch push (SmsReport, SmsUp): a JSON array of
 *   {phone_number, send_time, report_time, success, err_code, err_msg, sms_size, biz_id, out_id} or
 *   {phone_number, send_time, content, sign_name, dest_code, sequence_id}; answered {"code":0,"msg":"成功"}.
 * Tencent Cloud (tencentcloud.com/document/api/382/43547 status, /43548 reply): an array of
 *   {user_receive_time, nationcode, mobile, report_status: SUCCESS|FAIL, errmsg, description, sid}
 *   (sid is SendSms's SerialNo), or one {extend, mobile, nationcode, sign, text, time};
 *   answered {"result":0,"errmsg":"OK"}.
 */
import type { ReceiptOutcome } from './deliveryReceipt.ts';
import type { SmsReply } from './smsChannel.ts';

export type CallbackKind = 'report' | 'reply';

export interface CallbackContent {
  receipts: Array<{ messageId: string; outcome: ReceiptOutcome; detail: string }>;
  replies: SmsReply[];
}

type Item = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const items = (body: unknown): Item[] =>
  (Array.isArray(body) ? body : [body]).filter((x): x is Item => typeof x === 'object' && x !== null);

export function readCallback(
  gateway: 'aliyun' | 'tencent',
  kind: CallbackKind,
  body: unknown,
): CallbackContent {
  const list = items(body);
  if (kind === 'report') {
    return {
      replies: [],
      receipts: list.flatMap((i) => {
        const messageId = str(gateway === 'aliyun' ? i.biz_id : i.sid);
        if (!messageId) return [];
        const ok = gateway === 'aliyun' ? i.success === true : str(i.report_status) === 'SUCCESS';
        const detail = str(gateway === 'aliyun' ? i.err_code : i.errmsg) || (ok ? 'DELIVRD' : 'FAIL');
        return [{ messageId, outcome: ok ? ('delivered' as const) : ('failed' as const), detail }];
      }),
    };
  }
  return {
    receipts: [],
    replies: list.flatMap((i) => {
      const from =
        gateway === 'aliyun'
          ? str(i.phone_number)
          : `${str(i.nationcode) ? `+${str(i.nationcode)}` : ''}${str(i.mobile)}`;
      const text = str(gateway === 'aliyun' ? i.content : i.text);
      return from ? [{ from, text }] : [];
    }),
  };
}

/** The answer each cloud expects for a push it should not send again. */
export const CALLBACK_OK: Record<'aliyun' | 'tencent', Record<string, unknown>> = {
  aliyun: { code: 0, msg: '成功' },
  tencent: { result: 0, errmsg: 'OK' },
};
