import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ANNOUNCE_REASONS } from '../../alerting/announceReasons.ts';
import type { Page } from '../../alerting/engine/ackFlow.ts';
import { ANNOUNCE_PAGE_HEADERS } from '../../alerting/engine/announceFlow.ts';
import type { QrRefusal } from '../../alerting/engine/qrFlow.ts';
import { plainText } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { householdInScope } from '../householdScope.ts';
import type { OtherAnswer, RouteTable } from '../routeTable.ts';
import { errorAnswer, isoTime, noBody, pathParams } from '../schemas/common.ts';
import { isoAt } from '../views.ts';

const qrAnswer = z.object({
  url: z.string().meta({
    description: "the household's page (no sign-in); shown only in this answer, never again",
  }),
  qrSvg: z.string().meta({ description: 'the URL as a printable QR code (SVG)' }),
  createdAt: isoTime,
});

const announcedAnswer = z.object({
  start: isoTime,
  end: isoTime,
  reason: z.string(),
  announcedToday: z
    .number()
    .int()
    .meta({ description: 'announcements of the household today, this one included' }),
  limit: z.number().int().meta({ description: "the node's opens per day" }),
});

/** The page posts a form; a program posts JSON. Checked in the handler, so a person gets a page, not JSON. */
const looseBody = z
  .object({ reason: z.unknown().optional(), note: z.unknown().optional() })
  .catch({})
  .meta({ description: `{"reason": one of ${ANNOUNCE_REASONS.join(', ')}, "note"?: up to 60 characters}` });
const choice = z.object({
  reason: z.enum(ANNOUNCE_REASONS),
  // The page's empty note field arrives as ''.
  note: z.preprocess((v) => (v === '' ? undefined : v), plainText(60).optional()),
});

const STATUS: Record<QrRefusal['kind'] | 'badReason', number> = {
  unknown: 404,
  revoked: 410,
  ended: 410,
  limit: 429,
  throttled: 429,
  badReason: 400,
};
const CODE: Record<QrRefusal['kind'] | 'badReason', string> = {
  unknown: 'not_found',
  revoked: 'revoked',
  ended: 'quarantine_ended',
  limit: 'too_many_requests',
  throttled: 'too_many_requests',
  badReason: 'validation',
};

const refusals = (onPost: boolean): Record<number, OtherAnswer> => {
  const both = (description: string): OtherAnswer => ({
    description,
    answer: {
      contentType: 'text/html',
      description,
      ...(onPost ? { alsoAs: ['application/json'], json: errorAnswer } : {}),
    },
  });
  const answers: Record<number, OtherAnswer> = {
    404: both('the code is unknown (or its household was removed)'),
    410: both('the code was replaced by a newer one, or the quarantine has ended'),
  };
  if (onPost) {
    answers[400] = both('no reason of the list, or a note that is not short plain text');
    answers[429] = both(
      "past the day's limit (the page says: 今天已申报 N 次，上限 N 次), or too many tries",
    );
  }
  return answers;
};

const wantsJson = (request: FastifyRequest) =>
  (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
const sendPage = (reply: FastifyReply, page: Page) =>
  reply.code(page.status).headers(ANNOUNCE_PAGE_HEADERS).send(page.html);

/**
 * A household's reusable QR code (issue 18.6): staff make one; the resident's phone opens its page
 * and announces an opening, within the household's policy. The page answers a person in HTML and a
 * program in JSON (when it posts JSON).
 */
export function residentQrRoutes(table: RouteTable, { registry, alerting }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/households/:id/qr',
    tag: 'alerts',
    summary:
      'A new reusable QR code for the household (revokes the one before at once) → {url, qrSvg}; the URL is shown only here',
    roles: ['admin', 'monitor', 'worker'],
    params: pathParams('id'),
    body: noBody,
    bodyOptional: true,
    status: 201,
    answer: qrAnswer,
    handler: async ({ params, principal, reply }) => {
      const h = householdInScope(registry, principal, params.id);
      const code = await alerting.qr.createCode(h.id, h.gridId, { name: principal.name });
      reply.header('cache-control', 'no-store');
      return { url: code.url, qrSvg: code.qrSvg, createdAt: isoAt(code.createdAt) };
    },
  });

  table.add({
    method: 'GET',
    url: '/qr/:token',
    tag: 'alerts',
    summary: "A household's QR code page: the day's announcements and the reasons to tap (changes nothing)",
    roles: [],
    params: pathParams('token'),
    answer: { contentType: 'text/html', description: 'the page: reasons as big buttons' },
    otherAnswers: refusals(false),
    handler: async ({ params, reply }) => {
      const view = await alerting.qr.view(params.token);
      const pages = alerting.qrPages;
      return sendPage(
        reply,
        view.ok ? pages.form(view) : pages.refused(view.refusal, STATUS[view.refusal.kind]),
      );
    },
  });

  table.add({
    method: 'POST',
    url: '/qr/:token',
    tag: 'alerts',
    summary:
      "A household's QR code page: announces an opening now, for the node's announce span, within its opens per day",
    roles: [],
    params: pathParams('token'),
    accepts: ['form', 'json'],
    body: looseBody,
    bodyOptional: true,
    status: 201,
    answer: {
      contentType: 'text/html',
      description: 'announced: the page says until when (JSON when the request was JSON)',
      alsoAs: ['application/json'],
      json: announcedAnswer,
    },
    otherAnswers: refusals(true),
    handler: async ({ params, body, request, reply }) => {
      const pages = alerting.qrPages;
      const json = wantsJson(request);
      const refuse = (refusal: QrRefusal | { kind: 'badReason' }) => {
        const status = STATUS[refusal.kind];
        if (refusal.kind === 'throttled') reply.header('retry-after', String(refusal.retryAfterSeconds));
        if (!json) return sendPage(reply, pages.refused(refusal, status));
        const details = refusal.kind === 'limit' ? { count: refusal.count, limit: refusal.limit } : undefined;
        return reply
          .code(status)
          .header('cache-control', 'no-store')
          .send({
            error: {
              code: CODE[refusal.kind],
              message: pages.message(refusal),
              ...(details ? { details } : {}),
            },
          });
      };
      const picked = choice.safeParse(body);
      if (!picked.success) return refuse({ kind: 'badReason' });
      const done = await alerting.qr.announce(params.token, picked.data.reason, picked.data.note);
      if (!done.ok) return refuse(done.refusal);
      if (!json) return sendPage(reply, pages.announced(done.announcement, done));
      const a = done.announcement;
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          start: isoAt(a.start),
          end: isoAt(a.end),
          reason: a.reason,
          announcedToday: done.count,
          limit: done.limit,
        });
    },
  });
}
