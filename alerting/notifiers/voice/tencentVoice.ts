import type { VoiceTarget } from '../../../core/voiceUrl.ts';
import { tencentApi } from '../cloudApi.ts';
import { e164 } from '../sms/phoneNumber.ts';
import type { CallAnswer, PlaceCall } from './voiceChannel.ts';

const PERMANENT = new Set([
  'InvalidParameterValue.IncorrectPhoneNumber',
  'FailedOperation.PhoneNumberInBlacklist',
]);

/**
 * Tencent Cloud VMS SendTtsVoice, API 3.0 version 2020-09-02 (cloud.tencent.com/document/api/1128/51558):
 * a JSON POST signed TC3-HMAC-SHA256 with service `vms` (the SMS channel's call and signer: ../cloudApi.ts, sms/cloudSigning.ts).
 * TemplateParamSet is the alert's variables in the order type, place, time (the template's {1}…{3});
 * CalledNumber in E.164 (+86…); SessionContext the outbox row's id. SendStatus.CallId is the call's id.
 */
export function tencentCall(t: VoiceTarget, timeoutMs = 10_000): PlaceCall {
  return async (phone, n, now) => {
    const vars = n.voice?.vars;
    const payload = JSON.stringify({
      TemplateId: t.templateId,
      CalledNumber: e164(phone),
      VoiceSdkAppid: t.appId,
      TemplateParamSet: vars ? [vars.type, vars.place, vars.time] : [],
      PlayTimes: t.playTimes,
      SessionContext: n.id,
    });
    const { status, body } = await tencentApi<TencentBody>(t, {
      service: 'vms',
      action: 'SendTtsVoice',
      version: '2020-09-02',
      region: t.region ?? 'ap-guangzhou',
      payload,
      now,
      timeoutMs,
    });
    return tencentCallAnswer(status, body);
  };
}

interface TencentBody {
  Response?: { Error?: { Code?: string; Message?: string }; SendStatus?: { CallId?: string } };
}

export function tencentCallAnswer(httpStatus: number, body: TencentBody | null): CallAnswer {
  const r = body?.Response;
  const callId = r?.SendStatus?.CallId;
  if (!r?.Error && callId) return { ok: true, callId };
  const code = r?.Error?.Code ?? `HTTP ${httpStatus}`;
  const message = r?.Error?.Message;
  const error = `tencent SendTtsVoice: ${code}${message ? ` (${message.slice(0, 200)})` : ''}`;
  if (PERMANENT.has(code)) return { ok: false, result: { status: 'permanent', error } };
  if (code.startsWith('LimitExceeded') || code === 'RequestLimitExceeded')
    return { ok: false, result: { status: 'retryable', error, retryAfterMs: 60_000 } };
  return { ok: false, result: { status: 'retryable', error } };
}
