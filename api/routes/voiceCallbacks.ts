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
import { cloudPushAnswer, cloudPushBody } from './smsCallbacks.ts';

const params = z.object({
  vendor: z.enum(['aliyun', 'tencent']).meta({ description: 'the cloud VOICE_URL names' }),
});

export function voiceCallbackRoutes(table: RouteTable, { alerting }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/voice/:vendor',
    tag: 'alerts',
    summary: "Aliyun / Tencent Cloud VMS push call reports here; the URL's token is VOICE_URL's callback=",
    roles: [],
    params,
    query: z.object({ token: z.string().max(256).optional() }),
    body: cloudPushBody,
    answer: cloudPushAnswer,
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
