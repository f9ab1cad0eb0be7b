import { z } from 'zod';
import { ANNOUNCE_PAGE_HEADERS } from '../../alerting/engine/announceFlow.ts';
import { invalid } from '../../core/errors.ts';
import { idSchema, plainText, SCHEDULE_END, scheduleTime } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { householdInScope } from '../householdScope.ts';
import type { RouteTable } from '../routeTable.ts';
import { announceLinkAnswer, announcementAnswer } from '../schemas/alertAnswers.ts';
import { noBody, pathParams } from '../schemas/common.ts';
import { isoAt } from '../views.ts';
import { linkPageAnswers } from './linkPages.ts';

export const announceBody = z.object({
  householdId: idSchema,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  reason: plainText(200),
  start: scheduleTime.optional(),
});

/** The page's radio buttons post `reason` as a form field; anything else is ignored, never refused. */
const announceLinkBody = z
  .object({
    reason: z
      .string()
      .optional()
      .catch(undefined)
      .meta({ description: 'one of the reasons the page offers' }),
  })
  .catch({});
const token = pathParams('token');

/**
 * Announced openings: an opening inside one is logged, not alerted (it still counts toward the
 * daily limit). Staff announce through the API; a household through a one-time link.
 */
export function announcementRoutes(table: RouteTable, { registry, alerting, clock }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/announcements',
    tag: 'alerts',
    summary:
      "Announce an opening for a household (for the announce span of the household's node unless `minutes` says otherwise): opens inside are not alerted",
    roles: ['admin', 'monitor', 'worker'],
    body: announceBody,
    status: 201,
    answer: announcementAnswer,
    handler: async ({ body, principal }) => {
      householdInScope(registry, principal, body.householdId);
      const start = body.start ?? clock.now();
      const end = start + (body.minutes ?? alerting.announceMinutesOf(body.householdId)) * 60_000;
      // A start late on 2099-12-31 would end in 2100: past what a schedule may hold.
      if (end >= SCHEDULE_END) throw invalid('start: the announcement would end after 2099-12-31');
      const a = await alerting.engine.announce({
        householdId: body.householdId,
        start,
        end,
        reason: body.reason,
        by: principal.name,
      });
      return {
        id: a.id,
        householdId: a.householdId,
        start: isoAt(a.start),
        end: isoAt(a.end),
        reason: a.reason,
        by: a.by,
        createdAt: isoAt(a.createdAt),
      };
    },
  });

  table.add({
    method: 'POST',
    url: '/api/households/:id/announce-link',
    tag: 'alerts',
    summary: 'A one-time link the household opens to announce an opening itself → {url}',
    roles: ['admin', 'monitor', 'worker'],
    params: pathParams('id'),
    body: noBody,
    bodyOptional: true,
    status: 201,
    answer: announceLinkAnswer,
    handler: async ({ params, principal }) => {
      householdInScope(registry, principal, params.id);
      const link = await alerting.announce.createLink(params.id, principal.name);
      return { url: link.url, expiresAt: isoAt(link.expiresAt) };
    },
  });

  table.add({
    method: 'GET',
    url: '/announce/:token',
    tag: 'alerts',
    summary: "A household's announce link: reasons and a button (changes nothing)",
    roles: [],
    params: token,
    answer: { contentType: 'text/html', description: 'the page: reasons and a button' },
    otherAnswers: linkPageAnswers({ alertResolved: false }),
    handler: async ({ params, reply }) => {
      const page = await alerting.announce.show(params.token);
      return reply.code(page.status).headers(ANNOUNCE_PAGE_HEADERS).send(page.html);
    },
  });

  table.add({
    method: 'POST',
    url: '/announce/:token',
    tag: 'alerts',
    summary: "A household's announce link: announces once",
    roles: [],
    params: token,
    accepts: ['form', 'json'],
    body: announceLinkBody,
    bodyOptional: true,
    answer: { contentType: 'text/html', description: 'announced: the page says until when' },
    otherAnswers: linkPageAnswers({ alertResolved: false }),
    handler: async ({ params, body, reply }) => {
      const { page } = await alerting.announce.announce(params.token, body.reason);
      return reply.code(page.status).headers(ANNOUNCE_PAGE_HEADERS).send(page.html);
    },
  });
}
