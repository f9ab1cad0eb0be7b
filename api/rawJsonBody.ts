/**
 * The JSON body as received, kept for the routes that must check a signature over its bytes (OneNET
 * signs the text of its `msg` member: ingest/platforms/onenetPush.ts). Fastify's own JSON parser still
 * parses every body (its prototype-poisoning guards included); for the URLs under `prefix` the text
 * is remembered beside the request, and forgotten with it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const rawBodies = new WeakMap<FastifyRequest, string>();

export function keepRawJsonBodies(app: FastifyInstance, prefix: string): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (request.url.startsWith(prefix)) rawBodies.set(request, body as string);
    // Typed as possibly async; the default parser answers through `done`.
    void parseJson(request, body as string, done);
  });
}

export const rawJsonBody = (request: FastifyRequest): string | undefined => rawBodies.get(request);
