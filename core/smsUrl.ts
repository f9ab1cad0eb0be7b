/**
 * (In core because configuration is checked here at start, with every other variable: a bad SMS_URL
 * stops the start with one line, as SPEC asks. The channel itself is alerting/notifiers/sms/.)
 *
 * SMS_URL: which SMS gateway, and the account on it. Three forms (README, "SMS"):
 *
 *   smpp://system_id:password@host:port?source=106900001234&window=10
 *       an SMPP 3.4 gateway of a carrier or aggregator (`ssmpp://` for SMPP over TLS); `source` is the
 *       source_addr the gateway assigned (optional: many set it themselves), `window` the number of
 *       submit_sm awaiting their answer at once (default 10).
 *   aliyun-sms://AccessKeyId:AccessKeySecret@dysmsapi.aliyuncs.com?sign=签名&template=SMS_123456789
 *       Aliyun SMS (SendSms), with an approved sign name and template.
 *   tencent-sms://SecretId:SecretKey@sms.tencentcloudapi.com?appId=1400000000&sign=签名&template=123456&region=ap-guangzhou
 *       Tencent Cloud SMS (SendSms, API 3.0), with its SmsSdkAppId, sign name and template id.
 *
 * The cloud forms take `callback=<token>` (16–128 of A–Z a–z 0–9 _ -) to accept the cloud's pushes of
 * receipts and replies at /api/sms/<aliyun|tencent>/<report|reply>?token=<token>, and `tls=false` to
 * speak plain HTTP, for a test double on loopback only.
 * The password/secret never leaves this module except to the gateway: `redactSmsUrl` is what logs show.
 */

export interface SmppTarget {
  kind: 'smpp';
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password: string;
  systemType: string;
  sourceAddr: string | null;
  window: number;
}

export interface CloudTarget {
  kind: 'aliyun' | 'tencent';
  /** host[:port] of the API endpoint. */
  endpoint: string;
  tls: boolean;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateId: string;
  /** Tencent: SmsSdkAppId and region. */
  appId: string | null;
  region: string | null;
  /** `callback=`: the token in the URL the cloud pushes receipts and replies to; null: none taken. */
  callbackToken: string | null;
}

export type SmsTarget = SmppTarget | CloudTarget;

import { accountUrl, requiredParam } from './accountUrl.ts';

const SCHEMES = ['smpp:', 'ssmpp:', 'aliyun-sms:', 'tencent-sms:'];

export function parseSmsUrl(text: string): SmsTarget {
  const { url: u, user, secret, query: q } = accountUrl(text, SCHEMES, 'user:password');
  if (u.protocol === 'smpp:' || u.protocol === 'ssmpp:') {
    const window = q.has('window') ? Number(q.get('window')) : 10;
    if (!Number.isInteger(window) || window < 1 || window > 100)
      throw new Error('has a window that is not a whole number from 1 to 100');
    const tls = u.protocol === 'ssmpp:';
    return {
      kind: 'smpp',
      host: u.hostname,
      port: u.port ? Number(u.port) : tls ? 3550 : 2775,
      tls,
      systemId: user,
      password: secret,
      systemType: q.get('systemType') ?? '',
      sourceAddr: q.get('source') || null,
      window,
    };
  }
  const kind = u.protocol === 'aliyun-sms:' ? 'aliyun' : 'tencent';
  const need = (name: string) =>
    requiredParam(q, name, `${kind === 'aliyun' ? 'Aliyun' : 'Tencent Cloud'} SMS`);
  return {
    kind,
    endpoint: u.host,
    tls: q.get('tls') !== 'false',
    accessKeyId: user,
    accessKeySecret: secret,
    signName: need('sign'),
    templateId: need('template'),
    appId: kind === 'tencent' ? need('appId') : null,
    region: kind === 'tencent' ? (q.get('region') ?? 'ap-guangzhou') : null,
    callbackToken: callbackToken(q.get('callback')),
  };
}

export function callbackToken(v: string | null): string | null {
  if (v === null) return null;
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(v))
    throw new Error('has a callback token that is not 16–128 of A–Z a–z 0–9 _ -');
  return v;
}

/** The URL as logs and config output may show it: the password or secret replaced. */
export function redactSmsUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    if (u.searchParams.has('callback')) u.searchParams.set('callback', '***');
    return u.toString();
  } catch {
    return '(unparsable SMS_URL)';
  }
}
