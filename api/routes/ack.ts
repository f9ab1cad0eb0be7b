import { z } from 'zod';
import { ACK_PAGE_HEADERS } from '../../alerting/ackPage.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';
import { linkPageAnswers } from './linkPages.ts';

/** The page's button posts `note` as a form field; anything else in the body is ignored, never refused. */
const ackLinkBody = z
  .object({ note: z.string().optional().catch(undefined).meta({ description: 'optional note' }) })
  .catch({});

const token = pathParams('token');
const page = { contentType: 'text/html', description: 'the page: the alert and a button' } as const;

/**
 * The one-tap acknowledge link in every notification. No bearer token: the signed, expiring,
 * single-use token in the path is the credential. GET only shows the page (link pre-fetchers follow
 * GETs); the page's button POSTs back to the same URL.
 */
export function ackRoutes(table: RouteTable, { alerting }: ApiDeps): void {
  table.add({
    method: 'GET',
    url: '/ack/:token',
    tag: 'alerts',
    summary: 'Acknowledge link: shows the alert and a button (changes nothing)',
    roles: [],
    params: token,
    answer: page,
    otherAnswers: linkPageAnswers({ alertResolved: true }),
    handler: async ({ params, reply }) => {
      const shown = await alerting.ack.show(params.token);
      return reply.code(shown.status).headers(ACK_PAGE_HEADERS).send(shown.html);
    },
  });

  table.add({
    method: 'POST',
    url: '/ack/:token',
    tag: 'alerts',
    summary: 'Acknowledge link: acknowledges once as the recipient the link was sent to',
    roles: [],
    params: token,
    accepts: ['form', 'json'],
    body: ackLinkBody,
    bodyOptional: true,
    answer: { contentType: 'text/html', description: 'acknowledged: the page says so' },
    otherAnswers: linkPageAnswers({ alertResolved: true }),
    handler: async ({ params, body, reply }) => {
      const done = await alerting.ack.acknowledge(params.token, body.note);
      return reply.code(done.status).headers(ACK_PAGE_HEADERS).send(done.html);
    },
  });
}
