import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { notFound } from '../../core/errors.ts';
import { projectRoot } from '../../core/projectRoot.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteTable } from '../routeTable.ts';
import { pathParams } from '../schemas/common.ts';

const WEB_ROOT = resolve(projectRoot(), 'dashboards/web');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The live page: static files from dashboards/web. The page signs in with a
 * token kept in the browser and reads everything through the same API.
 */
export function pageRoutes(table: RouteTable, _deps: ApiDeps): void {
  const serve = async (file: string, reply: import('fastify').FastifyReply) => {
    const path = resolve(WEB_ROOT, file);
    if (!path.startsWith(WEB_ROOT + sep)) throw notFound('file', file);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      throw notFound('file', file);
    }
    reply.header('content-type', TYPES[extname(path)] ?? 'application/octet-stream');
    // The page holds a token: no framing by other sites, no inline scripts from elsewhere.
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    );
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-cache');
    return reply.send(body);
  };
  table.add({
    method: 'GET',
    url: '/',
    tag: 'page',
    summary: 'The live page for command rooms and phones',
    roles: [],
    answer: {
      contentType: 'text/html',
      description: 'the page (it signs in with a token kept in the browser)',
    },
    handler: async ({ reply }) => serve('index.html', reply),
  });
  table.add({
    method: 'GET',
    url: '/admin',
    tag: 'page',
    summary: "The administrator's screens: registry, policies, CSV import, users, tokens, audit log",
    roles: [],
    answer: {
      contentType: 'text/html',
      description: 'the page (a person signs in with user name and password; admins only)',
    },
    handler: async ({ reply }) => serve('admin.html', reply),
  });
  table.add({
    method: 'GET',
    url: '/wall',
    tag: 'page',
    summary:
      "The command room's wall: township tiles, the longest-waiting alert, today's time to acknowledge",
    roles: [],
    answer: {
      contentType: 'text/html',
      description:
        'the page (signed in as the live page is: session cookie or stored token; otherwise it sends you to sign in there)',
    },
    handler: async ({ reply }) => serve('wall.html', reply),
  });
  table.add({
    method: 'GET',
    url: '/assets/*',
    tag: 'page',
    summary: 'Static assets of the live page',
    roles: [],
    params: pathParams('*'),
    answer: {
      contentType: 'application/octet-stream',
      description: 'the file, with the Content-Type of its extension (JavaScript, CSS, images)',
    },
    handler: async ({ params, reply }) => serve(`assets/${params['*']}`, reply),
  });
}
