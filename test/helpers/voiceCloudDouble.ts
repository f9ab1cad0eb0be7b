/**
 * A TEST DOUBLE of Aliyun VMS SingleCallByTts (help.aliyun.com/document_detail/393519.html) and
 * Tencent Cloud VMS SendTtsVoice (cloud.tencent.com/document/api/1128/51558), on loopback. It is not
 * the vendors' service: it checks each request's signature with the documented algorithms of the SMS
 * double (smsCloudDouble.ts: written from the documentation, not imported from the product's
 * signer), records the calls it accepted and answers as the vendors document it (CallId).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aliyunDocSignature, bodyOf, checkTc3 } from './smsCloudDouble.ts';

export interface CloudCall {
  vendor: 'aliyun' | 'tencent';
  action: string;
  phone: string;
  templateId: string;
  /** Aliyun: TtsParam parsed; Tencent: TemplateParamSet. */
  vars: Record<string, string> | string[];
  playTimes: string;
  /** Aliyun: CalledShowNumber; Tencent: VoiceSdkAppid. */
  shown: string;
  /** OutId / SessionContext. */
  ref: string;
  callId: string;
  at: number;
}

export interface VoiceCloudDouble {
  port: number;
  calls: CloudCall[];
  refused: string[];
  close(): Promise<void>;
}

export async function startVoiceCloudDouble(keys: { id: string; secret: string }): Promise<VoiceCloudDouble> {
  const calls: CloudCall[] = [];
  const refused: string[] = [];
  let serial = 0;

  const aliyun = (body: string) => {
    const p = Object.fromEntries(new URLSearchParams(body));
    const want = aliyunDocSignature('POST', p, keys.secret);
    if (p.AccessKeyId !== keys.id || p.Signature !== want || p.Action !== 'SingleCallByTts') {
      refused.push(`aliyun: ${p.Action} signature ${p.Signature} ≠ ${want}`);
      return {
        status: 400,
        json: { Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched' },
      };
    }
    const callId = `116012${++serial}^10428${serial}`;
    calls.push({
      vendor: 'aliyun',
      action: p.Action,
      phone: p.CalledNumber ?? '',
      templateId: p.TtsCode ?? '',
      vars: JSON.parse(p.TtsParam ?? '{}') as Record<string, string>,
      playTimes: p.PlayTimes ?? '',
      shown: p.CalledShowNumber ?? '',
      ref: p.OutId ?? '',
      callId,
      at: Date.now(),
    });
    return { status: 200, json: { Code: 'OK', Message: 'OK', CallId: callId, RequestId: 'double' } };
  };

  const tencent = (req: IncomingMessage, body: string) => {
    const check = checkTc3(req, body, keys);
    const action = req.headers['x-tc-action'];
    if (!check.ok || check.service !== 'vms' || action !== 'SendTtsVoice') {
      refused.push(`tencent: ${action} ${check.ok ? `service ${check.service}` : check.why}`);
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
    const p = JSON.parse(body) as Record<string, unknown>;
    const callId = `12582bce-403c-11eb-96b8-${String(++serial).padStart(12, '0')}`;
    calls.push({
      vendor: 'tencent',
      action: 'SendTtsVoice',
      phone: String(p.CalledNumber),
      templateId: String(p.TemplateId),
      vars: p.TemplateParamSet as string[],
      playTimes: String(p.PlayTimes),
      shown: String(p.VoiceSdkAppid),
      ref: String(p.SessionContext),
      callId,
      at: Date.now(),
    });
    return {
      status: 200,
      json: {
        Response: { SendStatus: { CallId: callId, SessionContext: p.SessionContext }, RequestId: 'double' },
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
    calls,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
