import type { CloudTarget } from '../../../core/smsUrl.ts';
import { tencentApi } from '../cloudApi.ts';
import type { CloudAnswer, CloudSend } from './cloudChannel.ts';
import { e164 } from './phoneNumber.ts';

/** Errors retrying the same message cannot change. */
const PERMANENT = new Set([
  'InvalidParameterValue.IncorrectPhoneNumber',
  'FailedOperation.PhoneNumberInBlacklist',
  'UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber',
]);

/**
 * Tencent Cloud SMS SendSms, API 3.0 version 2021-01-11 (tencentcloud.com/document/api/382/40536): a
 * JSON POST signed TC3-HMAC-SHA256 (../cloudApi.ts, cloudSigning.ts). TemplateParamSet is the alert's variables in
 * the order type, place, time, code (the template's {1}…{4}); SessionContext is the outbox row's id.
 * The number goes in E.164 (+86…). The status's SerialNo is the message's id.
 */
export function tencentSend(t: CloudTarget, timeoutMs = 10_000): CloudSend {
  return async (phone, n, now) => {
    const vars = n.sms?.vars;
    const payload = JSON.stringify({
      PhoneNumberSet: [e164(phone)],
      SmsSdkAppId: t.appId,
      SignName: t.signName,
      TemplateId: t.templateId,
      TemplateParamSet: vars ? [vars.type, vars.place, vars.time, vars.code] : [],
      SessionContext: n.id,
    });
    const { status, body } = await tencentApi<TencentBody>(t, {
      service: 'sms',
      action: 'SendSms',
      version: '2021-01-11',
      region: t.region ?? 'ap-guangzhou',
      payload,
      now,
      timeoutMs,
    });
    return tencentAnswer(status, body);
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
