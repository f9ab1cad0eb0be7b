import { ACK_PAGE_HEADERS } from '../../alerting/ackPage.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';

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
    handler: async ({ params, reply }) => {
      const page = await alerting.ack.show(params.token as string);
      return reply.code(page.status).headers(ACK_PAGE_HEADERS).send(page.html);
    },
  });

  table.add({
    method: 'POST',
    url: '/ack/:token',
    tag: 'alerts',
    summary: 'Acknowledge link: acknowledges once as the recipient the link was sent to',
    roles: [],
    accepts: ['form', 'json'],
    handler: async ({ params, request, reply }) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const note = typeof body.note === 'string' ? body.note : undefined;
      const page = await alerting.ack.acknowledge(params.token as string, note);
      return reply.code(page.status).headers(ACK_PAGE_HEADERS).send(page.html);
    },
  });
}
