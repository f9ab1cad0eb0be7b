import { createHmac } from 'node:crypto';

/**
 * DingTalk custom robot "加签": string_to_sign = timestamp + "\n" + secret, HMAC-SHA256 keyed with
 * the secret, base64. The caller URL-encodes it into `&timestamp=<ms>&sign=<…>`.
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export function dingtalkSignedUrl(url: string, secret: string, timestampMs: number): string {
  const u = new URL(url);
  u.searchParams.set('timestamp', String(timestampMs));
  u.searchParams.set('sign', dingtalkSign(secret, timestampMs));
  return u.toString();
}

/**
 * Feishu/Lark custom bot signature: string_to_sign = timestamp + "\n" + secret is used as the HMAC
 * *key* over an empty message (as Feishu's reference code does), base64. Timestamp in seconds; both
 * go into the JSON body as `timestamp` (string) and `sign`.
 */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

/** Generic JSON receivers may verify `X-SealWatch-Signature: sha256=<hex HMAC(secret, ts + "." + body)>`. */
export function genericSign(secret: string, timestampMs: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')}`;
}
