/**
 * (In core because configuration is checked here at start: a bad VOICE_URL stops the start with one
 * line, as SPEC asks. The channel itself is alerting/notifiers/voice/.)
 *
 * VOICE_URL: the voice notification account (issue 17.2), a text-to-speech template call. Two forms
 * (README, "Voice calls"):
 *
 *   aliyun-voice://AccessKeyId:AccessKeySecret@dyvmsapi.aliyuncs.com?template=TTS_123456789&calledShowNumber=057112345678
 *       Aliyun VMS SingleCallByTts (help.aliyun.com/document_detail/393519.html): the approved TTS
 *       template and the number shown to the called worker (none: the public number pool).
 *   tencent-voice://SecretId:SecretKey@vms.tencentcloudapi.com?appId=1400000000&template=123456&region=ap-guangzhou
 *       Tencent Cloud VMS SendTtsVoice (cloud.tencent.com/document/api/1128/51558): the VoiceSdkAppid
 *       and the approved template id.
 *
 * Both take `playTimes=` (1–3, default 2: how often the text is read out), `callback=<token>` (as
 * SMS_URL's) and `tls=false` to speak plain HTTP, for a test double on loopback only.
 * The secret never leaves this module except to the API: `redactSmsUrl` is what logs show.
 */
import { accountUrl, requiredParam } from './accountUrl.ts';
import { callbackToken } from './smsUrl.ts';

export interface VoiceTarget {
  kind: 'aliyun' | 'tencent';
  /** host[:port] of the API endpoint. */
  endpoint: string;
  tls: boolean;
  accessKeyId: string;
  accessKeySecret: string;
  templateId: string;
  /** Aliyun: CalledShowNumber; null: the public pool. */
  calledShowNumber: string | null;
  /** Tencent: VoiceSdkAppid and region. */
  appId: string | null;
  region: string | null;
  playTimes: number;
  callbackToken: string | null;
}

export function parseVoiceUrl(text: string): VoiceTarget {
  const {
    url: u,
    user,
    secret,
    query: q,
  } = accountUrl(text, ['aliyun-voice:', 'tencent-voice:'], 'AccessKeyId:secret');
  const kind = u.protocol === 'aliyun-voice:' ? 'aliyun' : 'tencent';
  const need = (name: string) =>
    requiredParam(q, name, `${kind === 'aliyun' ? 'Aliyun' : 'Tencent Cloud'} voice`);
  const playTimes = q.has('playTimes') ? Number(q.get('playTimes')) : 2;
  if (!Number.isInteger(playTimes) || playTimes < 1 || playTimes > 3)
    throw new Error('has a playTimes that is not 1, 2 or 3');
  return {
    kind,
    endpoint: u.host,
    tls: q.get('tls') !== 'false',
    accessKeyId: user,
    accessKeySecret: secret,
    templateId: need('template'),
    calledShowNumber: kind === 'aliyun' ? q.get('calledShowNumber') || null : null,
    appId: kind === 'tencent' ? need('appId') : null,
    region: kind === 'tencent' ? (q.get('region') ?? 'ap-guangzhou') : null,
    playTimes,
    callbackToken: callbackToken(q.get('callback')),
  };
}
