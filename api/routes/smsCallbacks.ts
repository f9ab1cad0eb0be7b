/**
 * Where Aliyun SMS and Tencent Cloud SMS push delivery receipts and the workers' replies
 * (alerting/notifiers/sms/cloudCallbacks.ts): public routes, as the clouds carry no bearer token; the
 * token in the URL, SMS_URL's `callback=`, is the credential (401 without it). A reply with a code
 * acknowledges as the worker whose phone sent it, as over SMPP. With several instances the owner of
 * alerting takes them (api/ownerProxy.ts), as it holds the reply codes.
 */
import { z } from 'zod';
import { ServiceError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';

const params = z.object({
  gateway: z.enum(['aliyun', 'tencent']).meta({ description: 'the cloud SMS_URL names' }),
  kind: z.enum(['report', 'reply']).meta({ description: 'delivery receipts, or replies from phones' }),
});
const pushItem = z.record(z.string(), z.unknown());
// Tencent's reply callback is one object, every other push an array: one object is read as a list of one.
const pushBody = z
  .preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(pushItem).max(1000))
  .meta({ description: "the cloud's push, as its documentation gives it (an array, or one reply)" });
const pushAnswer = z
  .object({
    code: z.number().int().optional().meta({ description: 'Aliyun: 0' }),
    msg: z.string().optional().meta({ description: 'Aliyun: 成功' }),
    result: z.number().int().optional().meta({ description: 'Tencent Cloud: 0' }),
    errmsg: z.string().optional().meta({ description: 'Tencent Cloud: OK' }),
  })
  .meta({ description: 'what the cloud expects when it took the push' });

export function smsCallbackRoutes(table: RouteTable, { alerting }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/sms/:gateway/:kind',
    tag: 'alerts',
    summary:
      "Aliyun / Tencent Cloud SMS pushes receipts and replies here; the URL's token is SMS_URL's callback=",
    roles: [],
    params,
    query: z.object({ token: z.string().max(256).optional() }),
    body: pushBody,
    answer: pushAnswer,
    otherAnswers: {
      401: {
        description:
          'wrong or missing token (or no such cloud in SMS_URL: the same answer, so a guess learns nothing)',
      },
    },
    handler: async ({ params: p, query, body }) => {
      const sms = alerting.sms;
      const done =
        sms?.callback && sms.stats().gateway === p.gateway
          ? await sms.callback(p.kind, query.token, body)
          : ({ ok: false } as const);
      if (!done.ok) throw new ServiceError('unauthorized', 'wrong or missing callback token');
      return done.answer;
    },
  });
}
