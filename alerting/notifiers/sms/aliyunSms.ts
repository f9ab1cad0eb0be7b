import { randomUUID } from 'node:crypto';
import type { CloudTarget } from '../../../core/smsUrl.ts';
import type { CloudAnswer, CloudSend } from './cloudChannel.ts';
import { aliyunSignature } from './cloudSigning.ts';

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
 * a POST of the form-encoded parameters with their POP signature (cloudSigning.ts). TemplateParam is
 * the alert's variables as JSON ({type, place, time, code}: the template names them ${type} …);
 * OutId is the outbox row's id. The answer's BizId is the message's id.
 */
export function aliyunSend(t: CloudTarget, timeoutMs = 10_000): CloudSend {
  return async (phone, n, now) => {
    const params: Record<string, string> = {
      AccessKeyId: t.accessKeyId,
      Action: 'SendSms',
      Format: 'JSON',
      RegionId: 'cn-hangzhou',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: randomUUID(),
      SignatureVersion: '1.0',
      Timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Version: '2017-05-25',
      PhoneNumbers: phone,
      SignName: t.signName,
      TemplateCode: t.templateId,
      TemplateParam: JSON.stringify(n.sms?.vars ?? {}),
      OutId: n.id,
    };
    params.Signature = aliyunSignature('POST', params, t.accessKeySecret);
    const res = await fetch(`${t.tls ? 'https' : 'http'}://${t.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => null)) as {
      Code?: string;
      Message?: string;
      BizId?: string;
    } | null;
    return aliyunAnswer(res.status, body);
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
