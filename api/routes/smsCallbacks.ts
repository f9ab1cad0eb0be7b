/**
 * Where Aliyun SMS and Tencent Cloud SMS push delivery receipts and the workers' replies
 * (alerting/notifiers/sms/cloudCallbacks.ts): public routes, as the clouds carry no bearer token; the
 * token in the URL, SMS_URL's `callback=`, is the credential (401 without it). A reply with a code
 * acknowledges as the worker whose phone sent it, as over SMPP. With several instances the owner of
 * alerting takes them (api/ownerProxy.ts), as it holds the reply codes.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';
import { addCloudPushRoute } from './cloudPush.ts';

const params = z.object({
  gateway: z.enum(['aliyun', 'tencent']).meta({ description: 'the cloud SMS_URL names' }),
  kind: z.enum(['report', 'reply']).meta({ description: 'delivery receipts, or replies from phones' }),
});
export function smsCallbackRoutes(table: RouteTable, { alerting }: ApiDeps): void {
  addCloudPushRoute(table, {
    url: '/api/sms/:gateway/:kind',
    summary:
      "Aliyun / Tencent Cloud SMS pushes receipts and replies here; the URL's token is SMS_URL's callback=",
    variable: 'SMS_URL',
    params,
    take: async (p, token, body) => {
      const sms = alerting.sms;
      return sms?.callback && sms.stats().gateway === p.gateway
        ? await sms.callback(p.kind, token, body)
        : { ok: false };
    },
  });
}
