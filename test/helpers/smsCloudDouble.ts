/**
 * A TEST DOUBLE of the Aliyun SMS and Tencent Cloud SMS SendSms endpoints, on loopback. It is not the
 * vendors' service: it checks each request's signature the way the vendors document it, written here
 * again from the documentation (not imported from the product's signer, so a mistake shared by both
 * cannot pass unseen), records the accepted messages and answers as the vendors do. Its verifiers are
 * checked against the vendors' published example values in test/unit/alerting/smsCloud.test.ts.
 *
 * - Aliyun RPC "POP" signature v1.0 (help.aliyun.com/document_detail/56189.html): Base64(HMAC-SHA1(
 *   secret + "&", Method + "&%2F&" + enc(sorted enc(k)=enc(v) joined by &))), enc = RFC 3986 with %20.
 * - Tencent TC3-HMAC-SHA256 (tencentcloud.com "Signature v3"): hex(HMAC-SHA256(derived key,
 *   "TC3-HMAC-SHA256\n" + ts + "\n" + date/service/tc3_request + "\n" + hex(SHA256(canonical request)))).
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CloudSms {
  vendor: 'aliyun' | 'tencent';
  phone: string;
  signName: string;
  templateId: string;
  /** Aliyun: TemplateParam parsed; Tencent: TemplateParamSet. */
  vars: Record<string, string> | string[];
  /** OutId / SessionContext. */
  ref: string;
  messageId: string;
}

export interface SmsCloudDouble {
  port: number;
  accepted: CloudSms[];
  /** Requests whose signature did not verify, with why. */
  refused: string[];
  /** The next n requests answer this vendor error code instead. */
  failNext(n: number, code: string): void;
  close(): Promise<void>;
}

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The Aliyun signature of `params` (all but Signature), per the documentation. */
export function aliyunDocSignature(method: string, params: Record<string, string>, secret: string): string {
  const query = Object.entries(params)
    .filter(([k]) => k !== 'Signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
  return createHmac('sha1', `${secret}&`)
    .update(`${method}&${enc('/')}&${enc(query)}`)
    .digest('base64');
}

const hex = (b: string) => createHash('sha256').update(b).digest('hex');
const mac = (k: string | Buffer, m: string) => createHmac('sha256', k).update(m).digest();

/** The TC3 signature of a request, per the documentation (SignedHeaders as the request lists them). */
export function tencentDocSignature(input: {
  secretKey: string;
  service: string;
  timestamp: string;
  headers: Record<string, string>;
  signedHeaders: string[];
  payload: string;
}): string {
  const canonicalHeaders = input.signedHeaders
    .map((h) => `${h}:${(input.headers[h] ?? '').trim().toLowerCase()}\n`)
    .join('');
  const canonical = [
    'POST',
    '/',
    '',
    canonicalHeaders,
    input.signedHeaders.join(';'),
    hex(input.payload),
  ].join('\n');
  const date = new Date(Number(input.timestamp) * 1000).toISOString().slice(0, 10);
  const toSign = [
    'TC3-HMAC-SHA256',
    input.timestamp,
    `${date}/${input.service}/tc3_request`,
    hex(canonical),
  ].join('\n');
  const key = mac(mac(mac(`TC3${input.secretKey}`, date), input.service), 'tc3_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

const bodyOf = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      s += c;
    });
    req.on('end', () => resolve(s));
  });

export async function startSmsCloudDouble(keys: { id: string; secret: string }): Promise<SmsCloudDouble> {
  const accepted: CloudSms[] = [];
  const refused: string[] = [];
  let failing: { n: number; code: string } = { n: 0, code: '' };
  let serial = 0;

  const aliyun = (body: string): { status: number; json: unknown } => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const want = aliyunDocSignature('POST', params, keys.secret);
    if (params.AccessKeyId !== keys.id || params.Signature !== want) {
      refused.push(`aliyun: signature ${params.Signature} ≠ ${want}`);
      return {
        status: 400,
        json: { Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched' },
      };
    }
    if (failing.n > 0) {
      failing.n -= 1;
      return { status: 200, json: { Code: failing.code, Message: 'test double refusal' } };
    }
    const messageId = `${900000 + ++serial}^0`;
    accepted.push({
      vendor: 'aliyun',
      phone: params.PhoneNumbers ?? '',
      signName: params.SignName ?? '',
      templateId: params.TemplateCode ?? '',
      vars: JSON.parse(params.TemplateParam ?? '{}') as Record<string, string>,
      ref: params.OutId ?? '',
      messageId,
    });
    return { status: 200, json: { Code: 'OK', Message: 'OK', BizId: messageId, RequestId: 'double' } };
  };

  const tencent = (req: IncomingMessage, body: string): { status: number; json: unknown } => {
    const auth = String(req.headers.authorization ?? '');
    const m =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/([^/]+)\/([^/]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const want =
      m &&
      tencentDocSignature({
        secretKey: keys.secret,
        service: m[3] as string,
        timestamp: String(req.headers['x-tc-timestamp']),
        headers,
        signedHeaders: (m[4] as string).split(';'),
        payload: body,
      });
    if (!m || m[1] !== keys.id || m[5] !== want) {
      refused.push(`tencent: ${auth} ≠ ${want}`);
      return {
        status: 200,
        json: {
          Response: {
            Error: { Code: 'AuthFailure.SignatureFailure', Message: 'signature' },
            RequestId: 'double',
          },
        },
      };
    }
    if (failing.n > 0) {
      failing.n -= 1;
      return {
        status: 200,
        json: { Response: { Error: { Code: failing.code, Message: 'double' }, RequestId: 'double' } },
      };
    }
    const p = JSON.parse(body) as {
      PhoneNumberSet: string[];
      SignName: string;
      TemplateId: string;
      TemplateParamSet: string[];
      SessionContext: string;
    };
    const messageId = `2640:${100000 + ++serial}`;
    accepted.push({
      vendor: 'tencent',
      phone: p.PhoneNumberSet[0] ?? '',
      signName: p.SignName,
      templateId: p.TemplateId,
      vars: p.TemplateParamSet,
      ref: p.SessionContext,
      messageId,
    });
    return {
      status: 200,
      json: {
        Response: {
          SendStatusSet: [
            {
              SerialNo: messageId,
              PhoneNumber: p.PhoneNumberSet[0],
              Fee: 1,
              Code: 'Ok',
              Message: 'send success',
            },
          ],
          RequestId: 'double',
        },
      },
    };
  };

  const server: Server = createServer((req, res) => {
    bodyOf(req).then(
      (body) => {
        const answer = req.headers['x-tc-action'] ? tencent(req, body) : aliyun(body);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json));
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted,
    refused,
    failNext(n, code) {
      failing = { n, code };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
