import type { CloudTarget } from '../../../core/smsUrl.ts';
import { aliyunRpc } from '../cloudApi.ts';
import type { CloudAnswer, CloudSend } from './cloudChannel.ts';

/** Aliyun answers that retrying the same message cannot change (the number, its content). */
const PERMANENT = new Set([
  'isv.MOBILE_NUMBER_ILLEGAL',
  'isv.BLACK_KEY_CONTROL_LIMIT',
  'isv.MOBILE_COUNT_OVER_LIMIT',
]);
/** Flow control: the same message goes once the window has passed. */
const THROTTLED = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'isv.DAY_LIMIT_CONTROL']);

/**
 * Aliyun SMS SendSms (API version 2017-05-25, RPC style, help.aliyun.com/document_detail/55284.html):
 * a POST of the form-encoded parameters with their POP signature (../cloudApi.ts, cloudSigning.ts). TemplateParam is
 * the alert's variables as JSON ({type, place, time, code}: the template names them ${type} …);
 * OutId is the outbox row's id. The answer's BizId is the message's id.
 */
export function aliyunSend(t: CloudTarget, timeoutMs = 10_000): CloudSend {
  return async (phone, n, now) => {
    const { status, body } = await aliyunRpc<{ Code?: string; Message?: string; BizId?: string }>(t, {
      action: 'SendSms',
      version: '2017-05-25',
      params: {
        PhoneNumbers: phone,
        SignName: t.signName,
        TemplateCode: t.templateId,
        TemplateParam: JSON.stringify(n.sms?.vars ?? {}),
        OutId: n.id,
      },
      now,
      timeoutMs,
    });
    return aliyunAnswer(status, body);
  };
}

export function aliyunAnswer(
  httpStatus: number,
  body: { Code?: string; Message?: string; BizId?: string } | null,
): CloudAnswer {
  if (body?.Code === 'OK' && body.BizId) return { ok: true, messageId: body.BizId };
  const code = body?.Code ?? `HTTP ${httpStatus}`;
  const error = `aliyun SendSms: ${code}${body?.Message ? ` (${body.Message.slice(0, 200)})` : ''}`;
  if (PERMANENT.has(code)) return { ok: false, result: { status: 'permanent', error } };
  if (THROTTLED.has(code)) return { ok: false, result: { status: 'retryable', error, retryAfterMs: 60_000 } };
  // A wrong key, sign name or template is fixed by an operator; the queued alerts should go out then.
  return { ok: false, result: { status: 'retryable', error } };
}
