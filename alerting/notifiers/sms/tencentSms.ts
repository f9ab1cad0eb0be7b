import type { CloudTarget } from '../../../core/smsUrl.ts';
import type { CloudAnswer, CloudSend } from './cloudChannel.ts';
import { tc3Authorization } from './cloudSigning.ts';

const CONTENT_TYPE = 'application/json; charset=utf-8';
/** Errors retrying the same message cannot change. */
const PERMANENT = new Set([
  'InvalidParameterValue.IncorrectPhoneNumber',
  'FailedOperation.PhoneNumberInBlacklist',
  'UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber',
]);

/**
 * Tencent Cloud SMS SendSms, API 3.0 version 2021-01-11 (tencentcloud.com/document/api/382/40536): a
 * JSON POST signed TC3-HMAC-SHA256 (cloudSigning.ts). TemplateParamSet is the alert's variables in
 * the order type, place, time, code (the template's {1}…{4}); SessionContext is the outbox row's id.
 * The number goes in E.164 (+86…). The status's SerialNo is the message's id.
 */
export function tencentSend(t: CloudTarget, timeoutMs = 10_000): CloudSend {
  return async (phone, n, now) => {
    const vars = n.sms?.vars;
    const payload = JSON.stringify({
      PhoneNumberSet: [/^1\d{10}$/.test(phone) ? `+86${phone}` : `+${phone}`],
      SmsSdkAppId: t.appId,
      SignName: t.signName,
      TemplateId: t.templateId,
      TemplateParamSet: vars ? [vars.type, vars.place, vars.time, vars.code] : [],
      SessionContext: n.id,
    });
    const timestamp = Math.floor(now / 1000);
    // The Host header fetch sends (with the port when SMS_URL names one): what the signature covers.
    const host = t.endpoint;
    const { authorization } = tc3Authorization({
      secretId: t.accessKeyId,
      secretKey: t.accessKeySecret,
      service: 'sms',
      host,
      contentType: CONTENT_TYPE,
      timestamp,
      payload,
    });
    const res = await fetch(`${t.tls ? 'https' : 'http'}://${t.endpoint}/`, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': CONTENT_TYPE,
        'x-tc-action': 'SendSms',
        'x-tc-timestamp': String(timestamp),
        'x-tc-version': '2021-01-11',
        'x-tc-region': t.region ?? 'ap-guangzhou',
      },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return tencentAnswer(res.status, (await res.json().catch(() => null)) as TencentBody | null);
  };
}

interface TencentBody {
  Response?: {
    Error?: { Code?: string; Message?: string };
    SendStatusSet?: Array<{ Code?: string; Message?: string; SerialNo?: string }>;
  };
}

export function tencentAnswer(httpStatus: number, body: TencentBody | null): CloudAnswer {
  const r = body?.Response;
  const status = r?.SendStatusSet?.[0];
  if (!r?.Error && status?.Code === 'Ok' && status.SerialNo) return { ok: true, messageId: status.SerialNo };
  const code = r?.Error?.Code ?? status?.Code ?? `HTTP ${httpStatus}`;
  const message = r?.Error?.Message ?? status?.Message;
  const error = `tencent SendSms: ${code}${message ? ` (${message.slice(0, 200)})` : ''}`;
  if (PERMANENT.has(code)) return { ok: false, result: { status: 'permanent', error } };
  if (code.startsWith('LimitExceeded') || code === 'RequestLimitExceeded')
    return { ok: false, result: { status: 'retryable', error, retryAfterMs: 60_000 } };
  // AuthFailure.*, a wrong template or sign: an operator fixes SMS_URL, then the queued alerts go.
  return { ok: false, result: { status: 'retryable', error } };
}
