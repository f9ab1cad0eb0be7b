/**
 * Where Aliyun VMS and Tencent Cloud VMS push call reports (alerting/notifiers/voice/voiceCallbacks.ts):
 * public routes, as the clouds carry no bearer token; the token in the URL, VOICE_URL's `callback=`,
 * is the credential (401 without it). The outcome lands on the call's delivery (`receipt`); a press
 * of 1 acknowledges as the called worker. With several instances the owner of alerting takes them
 * (api/ownerProxy.ts).
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';
import { addCloudPushRoute } from './cloudPush.ts';

const params = z.object({
  vendor: z.enum(['aliyun', 'tencent']).meta({ description: 'the cloud VOICE_URL names' }),
});

export function voiceCallbackRoutes(table: RouteTable, { alerting }: ApiDeps): void {
  addCloudPushRoute(table, {
    url: '/api/voice/:vendor',
    summary: "Aliyun / Tencent Cloud VMS push call reports here; the URL's token is VOICE_URL's callback=",
    variable: 'VOICE_URL',
    params,
    take: async (p, token, body) => {
      const voice = alerting.voice;
      return voice && voice.stats().vendor === p.vendor ? await voice.callback(token, body) : { ok: false };
    },
  });
}
