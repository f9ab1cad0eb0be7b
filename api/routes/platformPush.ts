/**
 * Where the carrier platforms push NB-IoT seals' messages (ingest/platforms/): public routes, as the
 * platforms carry no bearer token; each push is checked against its platform application's token
 * instead (OneNET: the MD5 signature its docs give; CTWing: the token in the subscription URL). The
 * 200 comes only once every message in the push is committed, so a push we could not take is retried
 * by the platform. Refusals: 404 unknown application, 401 bad signature or token, 403 a device the
 * application may not speak for, 400 an unreadable push, 503 while the service starts or stops.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { rawJsonBody } from '../rawJsonBody.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';

/** Everything under it keeps its raw JSON body (api/rawJsonBody.ts). */
export const PLATFORM_PUSH_PREFIX = '/api/ingest/';

const appId = pathParams('appId');
const pushBody = z
  .record(z.string(), z.unknown())
  .meta({ description: "the platform's push message, as its documentation gives it" });
const pushAnswer = z.object({ accepted: z.number().int() });
const refusals = {
  401: { description: 'wrong signature or token' },
  403: { description: "a device that is not one of the application's sensors" },
  503: { description: 'the service is starting or stopping: the platform retries' },
};

export function platformPushRoutes(table: RouteTable, deps: ApiDeps): void {
  const { platformPush } = deps;

  table.add({
    method: 'POST',
    url: '/api/ingest/ctwing/:appId',
    tag: 'platforms',
    summary:
      "China Telecom CTWing (AEP) subscription push (dataReport, deviceOnlineOfflineReport); the URL's token is the application's",
    roles: [],
    params: appId,
    query: z.object({ token: z.string().max(256).optional() }),
    body: pushBody,
    answer: pushAnswer,
    otherAnswers: refusals,
    handler: async ({ params, query, body }) => platformPush.ctwing(params.appId, body, query.token),
  });

  table.add({
    method: 'POST',
    url: '/api/ingest/onenet/:appId',
    tag: 'platforms',
    summary: 'China Mobile OneNET data push (datapoints, online/offline), signed with the application token',
    roles: [],
    params: appId,
    body: pushBody,
    answer: pushAnswer,
    otherAnswers: refusals,
    handler: async ({ params, body, request }) =>
      platformPush.onenet(params.appId, body, rawJsonBody(request)),
  });

  table.add({
    method: 'GET',
    url: '/api/ingest/onenet/:appId',
    tag: 'platforms',
    summary: "OneNET's URL verification: answers msg when signature = Base64(MD5(token + nonce + msg))",
    roles: [],
    params: appId,
    query: z.object({
      msg: z.string().max(1024).optional(),
      nonce: z.string().max(64).optional(),
      signature: z.string().max(256).optional(),
    }),
    answer: { contentType: 'text/plain', description: 'the msg parameter, echoed' },
    otherAnswers: { 401: refusals[401], 503: refusals[503] },
    handler: async ({ params, query, reply }) => {
      const echo = platformPush.onenetVerify(params.appId, query);
      return reply.type('text/plain; charset=utf-8').send(echo);
    },
  });
}
