import type { VoiceTarget } from '../../../core/voiceUrl.ts';
import { aliyunRpc } from '../cloudApi.ts';
import type { CallAnswer, PlaceCall } from './voiceChannel.ts';

/** Answers that calling the same number again cannot change. */
const PERMANENT = new Set(['isv.MOBILE_NUMBER_ILLEGAL', 'isv.BLACK_KEY_CONTROL_LIMIT']);
/** Flow control (1 call a minute, 5 an hour per number): the call goes once the window has passed. */
const THROTTLED = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'isv.DAY_LIMIT_CONTROL', 'Throttling.User']);

/**
 * Aliyun VMS SingleCallByTts (API version 2017-05-25, RPC style, help.aliyun.com/document_detail/393519.html
 * and the parameter list at help.aliyun.com/document_detail/55315.html): a POST of the form-encoded
 * parameters with their POP signature (the SMS channel's call and signer: ../cloudApi.ts, sms/cloudSigning.ts). TtsCode is
 * the approved template, TtsParam its variables as JSON ({type, place, time}: ${type} … in the
 * template), CalledShowNumber the number shown (left out: the public pool), OutId the outbox row's
 * id. The answer's CallId is the call's id.
 */
export function aliyunCall(t: VoiceTarget, timeoutMs = 10_000): PlaceCall {
  return async (phone, n, now) => {
    const { status, body } = await aliyunRpc<AliyunBody>(t, {
      action: 'SingleCallByTts',
      version: '2017-05-25',
      params: {
        CalledNumber: phone,
        TtsCode: t.templateId,
        TtsParam: JSON.stringify(n.voice?.vars ?? {}),
        PlayTimes: String(t.playTimes),
        OutId: n.id,
        ...(t.calledShowNumber ? { CalledShowNumber: t.calledShowNumber } : {}),
      },
      now,
      timeoutMs,
    });
    return aliyunCallAnswer(status, body);
  };
}

interface AliyunBody {
  Code?: string;
  Message?: string;
  CallId?: string;
}

export function aliyunCallAnswer(httpStatus: number, body: AliyunBody | null): CallAnswer {
  if (body?.Code === 'OK' && body.CallId) return { ok: true, callId: body.CallId };
  const code = body?.Code ?? `HTTP ${httpStatus}`;
  const error = `aliyun SingleCallByTts: ${code}${body?.Message ? ` (${body.Message.slice(0, 200)})` : ''}`;
  if (PERMANENT.has(code)) return { ok: false, result: { status: 'permanent', error } };
  if (THROTTLED.has(code)) return { ok: false, result: { status: 'retryable', error, retryAfterMs: 60_000 } };
  // A wrong key or template is fixed by an operator; the waiting calls go then.
  return { ok: false, result: { status: 'retryable', error } };
}
