/**
 * One signed call to an Aliyun RPC API or a Tencent Cloud API 3.0 endpoint, and the check of the
 * token their pushes carry: what the cloud SMS (sms/aliyunSms.ts, sms/tencentSms.ts) and voice
 * (voice/aliyunVoice.ts, voice/tencentVoice.ts) channels share. The signatures are sms/cloudSigning.ts.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { type PostAnswer, postText } from './httpPost.ts';
import { aliyunSignature, tc3Authorization } from './sms/cloudSigning.ts';

export interface CloudAccount {
  /** host[:port] of the API endpoint. */
  endpoint: string;
  tls: boolean;
  accessKeyId: string;
  accessKeySecret: string;
}

export interface CloudReply<B> {
  status: number;
  /** The answer's JSON, or null when it was none. */
  body: B | null;
}

/**
 * Aliyun RPC style: the action's parameters with the common ones (SignatureVersion 1.0, HMAC-SHA1,
 * a fresh nonce), form-encoded in a POST, signed as cloudSigning.ts documents.
 */
export async function aliyunRpc<B>(
  account: CloudAccount,
  call: { action: string; version: string; params: Record<string, string>; now: number; timeoutMs: number },
): Promise<CloudReply<B>> {
  const params: Record<string, string> = {
    AccessKeyId: account.accessKeyId,
    Action: call.action,
    Format: 'JSON',
    RegionId: 'cn-hangzhou',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: new Date(call.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: call.version,
    ...call.params,
  };
  params.Signature = aliyunSignature('POST', params, account.accessKeySecret);
  const answer = await postText(
    endpointUrl(account),
    { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams(params).toString(),
    call.timeoutMs,
  );
  return cloudReply<B>(answer);
}

const TC3_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Tencent Cloud API 3.0: a JSON POST signed TC3-HMAC-SHA256 for `service` (the host's first label). */
export async function tencentApi<B>(
  account: CloudAccount,
  call: {
    service: string;
    action: string;
    version: string;
    region: string;
    payload: string;
    now: number;
    timeoutMs: number;
  },
): Promise<CloudReply<B>> {
  const timestamp = Math.floor(call.now / 1000);
  // The Host header Node sends (with the port when the URL names one): what the signature covers.
  const { authorization } = tc3Authorization({
    secretId: account.accessKeyId,
    secretKey: account.accessKeySecret,
    service: call.service,
    host: account.endpoint,
    contentType: TC3_CONTENT_TYPE,
    timestamp,
    payload: call.payload,
  });
  const answer = await postText(
    endpointUrl(account),
    {
      authorization,
      'content-type': TC3_CONTENT_TYPE,
      'x-tc-action': call.action,
      'x-tc-timestamp': String(timestamp),
      'x-tc-version': call.version,
      'x-tc-region': call.region,
    },
    call.payload,
    call.timeoutMs,
  );
  return cloudReply<B>(answer);
}

const endpointUrl = (account: CloudAccount) => `${account.tls ? 'https' : 'http'}://${account.endpoint}/`;

/** The answer's status and JSON; a body that is not JSON (a proxy's error page) is none. */
function cloudReply<B>(answer: PostAnswer): CloudReply<B> {
  try {
    return { status: answer.status, body: JSON.parse(answer.text) as B };
  } catch {
    return { status: answer.status, body: null };
  }
}

/** A push's token against the URL's `callback=`, in constant time; none configured: nothing matches. */
export function callbackTokenMatches(expected: string | null, given: string | undefined): boolean {
  if (!expected || !given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
