/**
 * China Telecom CTWing (AEP) subscription push (订阅推送), https://www.ctwing.cn/dyts/103 : the
 * platform POSTs one JSON message per event to the URL configured in the subscription, expects
 * HTTP 200, and otherwise retries (at most 3 times, per the same page as quoted in
 * https://geekdaxue.co/read/softdev@iot/iq3b9f). The messages we read:
 *   {"messageType":"dataReport","deviceId":"…","productId":"…","tenantId":"…","timestamp":<ms>,
 *    "protocol":"lwm2m","topic":"v1/up/ad","payload":{"APPdata":"<base64 of the device's bytes>"},…}
 *     (products with a profile carry "payload":{"serviceData":{…}} instead of APPdata)
 *   {"messageType":"deviceOnlineOfflineReport","deviceId":"…","timestamp":<ms>,"eventType":1|0,…}
 *     (eventType 1 = online, 0 = offline)
 * as in public receivers of these pushes (e.g. the samples quoted in a CTWing receiver's source:
 * `{"timestamp":1589444231825,"tenantId":"10461180","protocol":"lwm2m","productId":"10053421",
 * "messageType":"deviceOnlineOfflineReport","eventType":1,"deviceId":"44d0…"}`). Other message
 * types (commandResponse, eventReport, device added/removed …) are taken and ignored.
 *
 * Authentication: we found NO signature or token scheme for CTWing's push in the documentation we
 * could read (the subscription only names a URL). So the URL itself is the credential: the
 * administrator gives CTWing `…/api/ingest/ctwing/<appId>?token=<token>`, over HTTPS, and we compare
 * the token in constant time. If CTWing documents a signature, it belongs in verifyCtwingToken.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ParsedPush, PlatformReport } from './platformReport.ts';

const deviceId = z.string().min(1).max(128);

const dataReport = z.looseObject({
  messageType: z.literal('dataReport'),
  deviceId,
  timestamp: z.number().optional(),
  payload: z.union([
    z.looseObject({ APPdata: z.string().max(4096) }),
    z.looseObject({ serviceData: z.record(z.string(), z.unknown()) }),
  ]),
});

const onlineOffline = z.looseObject({
  messageType: z.literal('deviceOnlineOfflineReport'),
  deviceId,
  timestamp: z.number().int().min(0),
  eventType: z.union([z.literal(0), z.literal(1)]),
});

const anyMessage = z.looseObject({ messageType: z.string() });

export function parseCtwingPush(body: unknown): ParsedPush {
  const kind = anyMessage.safeParse(body);
  if (!kind.success) return { ok: false, detail: 'not a CTWing push: no messageType' };
  const reports: PlatformReport[] = [];
  if (kind.data.messageType === 'dataReport') {
    const m = dataReport.safeParse(body);
    if (!m.success)
      return { ok: false, detail: 'dataReport without deviceId or payload.APPdata/serviceData' };
    const carried = 'APPdata' in m.data.payload ? m.data.payload.APPdata : m.data.payload.serviceData;
    reports.push({ kind: 'data', deviceId: m.data.deviceId, payload: carried });
  } else if (kind.data.messageType === 'deviceOnlineOfflineReport') {
    const m = onlineOffline.safeParse(body);
    if (!m.success)
      return { ok: false, detail: 'deviceOnlineOfflineReport without deviceId, timestamp or eventType' };
    reports.push({
      kind: 'status',
      deviceId: m.data.deviceId,
      online: m.data.eventType === 1,
      at: m.data.timestamp,
    });
  }
  return { ok: true, reports };
}

/** The URL's token against the application's, in constant time. */
export function verifyCtwingToken(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
