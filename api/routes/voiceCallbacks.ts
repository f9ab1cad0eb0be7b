/**
 * Where Aliyun VMS and Tencent Cloud VMS push call reports (alerting/notifiers/voice/voiceCallbacks.ts):
 * public routes, as the clouds carry no bearer token; the token in the URL, VOICE_URL's `callback=`,
 * is the credential (401 without it). The outcome lands on the call's delivery (`receipt`); a press
 * of 1 acknowledges as the called worker. With several instances the owner of alerting takes them
 * (api/ownerProxy.ts).
 */
import { z } from 'zod';
import { ServiceError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';

const params = z.object({
  vendor: z.enum(['aliyun', 'tencent']).meta({ description: 'the cloud VOICE_URL names' }),
});
const pushItem = z.record(z.string(), z.unknown());
// Aliyun pushes an array, Tencent one object per report: one object is read as a list of one.
const pushBody = z
  .preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(pushItem).max(1000))
  .meta({ description: "the cloud's push, as its documentation gives it" });
const pushAnswer = z
  .object({
    code: z.number().int().optional().meta({ description: 'Aliyun: 0' }),
    msg: z.string().optional().meta({ description: 'Aliyun: 接收成功' }),
    result: z.number().int().optional().meta({ description: 'Tencent Cloud: 0' }),
    errmsg: z.string().optional().meta({ description: 'Tencent Cloud: OK' }),
  })
  .meta({ description: 'what the cloud expects when it took the push' });

export function voiceCallbackRoutes(table: RouteTable, { alerting }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/voice/:vendor',
    tag: 'alerts',
    summary: "Aliyun / Tencent Cloud VMS push call reports here; the URL's token is VOICE_URL's callback=",
    roles: [],
    params,
    query: z.object({ token: z.string().max(256).optional() }),
    body: pushBody,
    answer: pushAnswer,
    otherAnswers: {
      401: {
        description:
          'wrong or missing token (or no such cloud in VOICE_URL: the same answer, so a guess learns nothing)',
      },
    },
    handler: async ({ params: p, query, body }) => {
      const voice = alerting.voice;
      const done =
        voice && voice.stats().vendor === p.vendor
          ? await voice.callback(query.token, body)
          : ({ ok: false } as const);
      if (!done.ok) throw new ServiceError('unauthorized', 'wrong or missing callback token');
      return done.answer;
    },
  });
}
