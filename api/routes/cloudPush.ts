/**
 * What the clouds' push routes share (SMS receipts and replies, smsCallbacks.ts; call reports,
 * voiceCallbacks.ts): public routes, as the clouds carry no bearer token; the token in the URL (the
 * `callback=` of SMS_URL or VOICE_URL) is the credential, and a wrong one, or a cloud the URL does not
 * name, gets the same 401, so a guess learns nothing.
 */
import { z } from 'zod';
import { ServiceError } from '../../core/errors.ts';
import type { RouteTable } from '../routeTable.ts';

const pushItem = z.record(z.string(), z.unknown());
/**
 * A cloud's push (SMS here, voice in voiceCallbacks.ts): Aliyun pushes arrays, Tencent some pushes as
 * one object, read as a list of one.
 */
export const cloudPushBody = z
  .preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(pushItem).max(1000))
  .meta({ description: "the cloud's push, as its documentation gives it (an array, or one object)" });
export const cloudPushAnswer = z
  .object({
    code: z.number().int().optional().meta({ description: 'Aliyun: 0' }),
    msg: z.string().optional().meta({ description: 'Aliyun: 成功 (SMS), 接收成功 (voice)' }),
    result: z.number().int().optional().meta({ description: 'Tencent Cloud: 0' }),
    errmsg: z.string().optional().meta({ description: 'Tencent Cloud: OK' }),
  })
  .meta({ description: 'what the cloud expects when it took the push' });

type Pushed = z.output<typeof cloudPushBody>;
type Taken = { ok: true; answer: z.input<typeof cloudPushAnswer> } | { ok: false };

/** One push route: `take` hands the push to the channel, which checks the token. */
export function addCloudPushRoute<Params extends z.ZodType>(
  table: RouteTable,
  spec: {
    url: string;
    summary: string;
    /** The variable whose `callback=` holds the token, for the 401's description. */
    variable: 'SMS_URL' | 'VOICE_URL';
    params: Params;
    take(params: z.output<Params>, token: string | undefined, body: Pushed): Promise<Taken>;
  },
): void {
  table.add({
    method: 'POST',
    url: spec.url,
    tag: 'alerts',
    summary: spec.summary,
    roles: [],
    params: spec.params,
    query: z.object({ token: z.string().max(256).optional() }),
    body: cloudPushBody,
    answer: cloudPushAnswer,
    otherAnswers: {
      401: {
        description: `wrong or missing token (or no such cloud in ${spec.variable}: the same answer, so a guess learns nothing)`,
      },
    },
    handler: async ({ params, query, body }) => {
      // `params` is always given here, so the route table reads its schema's output.
      const done = await spec.take(params as z.output<Params>, query.token, body);
      if (!done.ok) throw new ServiceError('unauthorized', 'wrong or missing callback token');
      return done.answer;
    },
  });
}
