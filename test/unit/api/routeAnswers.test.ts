import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerJsonSchema } from '../../../api/answerJsonSchema.ts';
import { installErrorHandler } from '../../../api/errorHandler.ts';
import { KnownRoutes } from '../../../api/methodNotAllowed.ts';
import { RouteTable } from '../../../api/routeTable.ts';
import { pageQuery } from '../../../api/schemas/common.ts';

/**
 * How a route's declared zod schemas shape what it answers and what it refuses, on a real Fastify
 * instance (inject: no sockets). Public routes only: the token check is the security test's.
 */
describe('route answers and refusals', () => {
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  const serve = async (verifyResponses: boolean, add: (table: RouteTable) => void) => {
    const table = new RouteTable(async () => {
      throw new Error('public routes only');
    });
    add(table);
    app = Fastify();
    // As api/app.ts: CSV arrives as text, so the route's own media check is what refuses it.
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    const known = new KnownRoutes();
    app.addHook('onRoute', known.onRoute);
    installErrorHandler(app, known);
    table.register(app, { verifyResponses });
    await app.ready();
    return app;
  };
  const sensor = z.object({ id: z.string(), model: z.string() });
  const leaky = (table: RouteTable) =>
    table.add({
      method: 'GET',
      url: '/leaky',
      tag: 't',
      summary: 'a record spread into an answer, hash and all',
      roles: [],
      answer: sensor,
      handler: async () =>
        ({ id: 's1', model: 'MC-38', secretHash: '$7$101$abc' }) as { id: string; model: string },
    });

  it('never sends a field its schema does not list (a secret spread by mistake stays in)', async () => {
    const served = await serve(false, leaky);
    const answer = await served.inject({ method: 'GET', url: '/leaky' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ id: 's1', model: 'MC-38' });
  });

  it('under the tests’ response check, the same slip is a 500 (the difference goes to the log only)', async () => {
    const served = await serve(true, leaky);
    const answer = await served.inject({ method: 'GET', url: '/leaky' });
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toEqual({
      error: { code: 'internal', message: 'the answer of GET /leaky does not match its declared schema' },
    });
  });

  it('under the check, a value the serializer would coerce (null sent as "") is a 500 too', async () => {
    const served = await serve(true, (table) =>
      table.add({
        method: 'GET',
        url: '/mistyped',
        tag: 't',
        summary: 'a null where the schema says string',
        roles: [],
        answer: sensor,
        handler: async () => ({ id: 's1', model: null }) as unknown as { id: string; model: string },
      }),
    );
    expect((await served.inject({ method: 'GET', url: '/mistyped' })).statusCode).toBe(500);
  });

  it('refuses a bad query in the error shape, naming the field, with every problem in details', async () => {
    const served = await serve(true, (table) =>
      table.add({
        method: 'GET',
        url: '/list',
        tag: 't',
        summary: 'a page',
        roles: [],
        query: pageQuery(50, 20),
        answer: z.object({ limit: z.number(), offset: z.number() }),
        handler: async ({ query }) => ({ limit: query.limit, offset: query.offset }),
      }),
    );
    expect((await served.inject({ method: 'GET', url: '/list' })).json()).toEqual({ limit: 20, offset: 0 });
    // Read as Number(text), as the routes always did.
    expect((await served.inject({ method: 'GET', url: '/list?limit=1e1' })).json()).toEqual({
      limit: 10,
      offset: 0,
    });
    const bad = await served.inject({ method: 'GET', url: '/list?limit=0&offset=-1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: {
        code: 'validation',
        message: 'limit: must be a whole number from 1 to 50',
        details: [
          { path: 'limit', message: 'must be a whole number from 1 to 50' },
          { path: 'offset', message: 'must be a whole number ≥ 0' },
        ],
      },
    });
  });

  const echo = (table: RouteTable, bodyOptional: boolean) =>
    table.add({
      method: 'POST',
      url: '/echo',
      tag: 't',
      summary: 'echoes a note',
      roles: [],
      body: z.object({ note: z.string().max(5) }).partial(),
      bodyOptional,
      answer: z.object({ note: z.string().optional() }),
      handler: async ({ body }) => body,
    });

  it('a body that must be sent: missing is a 400 that says so; a bad field names itself', async () => {
    const served = await serve(true, (table) => echo(table, false));
    const missing = await served.inject({ method: 'POST', url: '/echo' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toEqual({
      code: 'validation',
      message: 'request body is missing: send a JSON object',
    });
    const long = await served.inject({ method: 'POST', url: '/echo', payload: { note: 'too long' } });
    expect(long.json().error.message).toMatch(/^note: /);
    expect(long.json().error.details).toEqual([{ path: 'note', message: expect.any(String) }]);
  });

  it('a body that may be left out reads as {}; a wrong media type is 415 before any 400', async () => {
    const served = await serve(true, (table) => echo(table, true));
    const none = await served.inject({ method: 'POST', url: '/echo' });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({});
    const csv = await served.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'note,way too long',
    });
    expect(csv.statusCode).toBe(415);
    expect(csv.json().error.code).toBe('unsupported_media_type');
  });
});

describe('answer JSON Schema', () => {
  it('writes `x | null` as a type list, so fast-json-stringify need not try each branch per value', () => {
    const json = answerJsonSchema(
      z.object({
        door: z.enum(['open', 'closed']).nullable(),
        at: z.string().meta({ format: 'date-time' }).nullable(),
      }),
    );
    expect(json.properties).toEqual({
      door: { type: ['string', 'null'], enum: ['open', 'closed', null] },
      at: { type: ['string', 'null'], format: 'date-time' },
    });
    expect(json).not.toHaveProperty('$schema');
  });
});
