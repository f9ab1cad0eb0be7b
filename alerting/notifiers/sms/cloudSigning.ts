/**
 * Request signatures of the two cloud SMS APIs, as their documentation defines them.
 *
 * Aliyun (Alibaba Cloud) RPC-style "POP" signature, SignatureVersion 1.0, HMAC-SHA1
 * (help.aliyun.com/document_detail/56189.html for SMS, the RPC "Signature mechanism" page in general):
 *   CanonicalizedQueryString = the parameters but Signature, sorted by name, each name=value
 *     percent-encoded (RFC 3986 unreserved kept; space %20, * %2A, ~ kept), joined by &
 *   StringToSign = HTTPMethod & percentEncode("/") & percentEncode(CanonicalizedQueryString)
 *   Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))
 *
 * Tencent Cloud API 3.0, TC3-HMAC-SHA256 (the "Signature v3" page every TencentCloud API product carries,
 * e.g. tencentcloud.com/document/product/1021/34193; SendSms itself: tencentcloud.com/document/api/382/40536):
 *   CanonicalRequest = Method \n / \n Query \n CanonicalHeaders \n SignedHeaders \n hex(SHA256(payload))
 *   StringToSign = "TC3-HMAC-SHA256" \n Timestamp \n Date/service/tc3_request \n hex(SHA256(CanonicalRequest))
 *   key = HMAC(HMAC(HMAC("TC3" + SecretKey, Date), service), "tc3_request"); Signature = hex(HMAC(key, StringToSign))
 *   Date is the UTC date of the timestamp.
 * Both are checked against the vendors' published examples in test/unit/alerting/smsCloud.test.ts.
 */
import { createHash, createHmac } from 'node:crypto';

/** Aliyun's percent-encoding: encodeURIComponent, plus the characters it leaves that POP encodes. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function aliyunStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] as string)}`)
    .join('&');
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

export function aliyunSignature(
  method: string,
  params: Record<string, string>,
  accessKeySecret: string,
): string {
  return createHmac('sha1', `${accessKeySecret}&`)
    .update(aliyunStringToSign(method, params))
    .digest('base64');
}

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, msg: string) => createHmac('sha256', key).update(msg, 'utf8').digest();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** The product, e.g. `sms` (the first label of its host). */
  service: string;
  host: string;
  contentType: string;
  /** Unix seconds (X-TC-Timestamp). */
  timestamp: number;
  payload: string;
}

export function tc3StringToSign(i: Omit<Tc3Input, 'secretId' | 'secretKey'>): string {
  const canonicalRequest = [
    'POST',
    '/',
    '',
    `content-type:${i.contentType}\nhost:${i.host}\n`,
    'content-type;host',
    sha256Hex(i.payload),
  ].join('\n');
  const date = new Date(i.timestamp * 1000).toISOString().slice(0, 10);
  return [
    'TC3-HMAC-SHA256',
    String(i.timestamp),
    `${date}/${i.service}/tc3_request`,
    sha256Hex(canonicalRequest),
  ].join('\n');
}

/** The signature and the Authorization header of a TC3-HMAC-SHA256 POST (headers content-type;host). */
export function tc3Authorization(i: Tc3Input): { signature: string; authorization: string } {
  const date = new Date(i.timestamp * 1000).toISOString().slice(0, 10);
  const signing = hmac(hmac(hmac(`TC3${i.secretKey}`, date), i.service), 'tc3_request');
  const signature = createHmac('sha256', signing).update(tc3StringToSign(i), 'utf8').digest('hex');
  return {
    signature,
    authorization: `TC3-HMAC-SHA256 Credential=${i.secretId}/${date}/${i.service}/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
  };
}
