import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ServiceError } from '../core/errors.ts';
import type { Role } from '../registry/schemas.ts';
import { answerJsonSchema } from './answerJsonSchema.ts';
import type { Principal } from './principal.ts';
import { requireRole } from './principal.ts';
import { zodValidator } from './requestValidation.ts';
import { responseCheckHooks } from './responseCheck.ts';
import { errorAnswer } from './schemas/common.ts';

export interface RouteContext<Body, Params, Query> {
  body: Body;
  params: Params;
  query: Query;
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** An answer that is not JSON (an HTML page, CSV, Prometheus text, an event stream), sent as it is. */
export interface RawAnswer {
  contentType: string;
  description: string;
  /** Further media types the same answer comes in (a file in a format the query picks). */
  alsoAs?: readonly string[];
  /** When one of the formats is JSON: its schema, documented as application/json. */
  json?: z.ZodType;
}

/** One documented answer: JSON of a zod schema (the default is the error shape), or a raw body. */
export interface OtherAnswer {
  description: string;
  answer?: z.ZodType | RawAnswer;
}

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface RouteSpec<
  Params extends z.ZodType | undefined,
  Query extends z.ZodType | undefined,
  Body extends z.ZodType | undefined,
  Answer extends z.ZodType | RawAnswer,
> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  /** Roles allowed; an empty list means public (no token). */
  roles: readonly Role[];
  /** Required whenever the URL has `:params` (the /docs test checks). */
  params?: Params;
  query?: Query;
  body?: Body;
  /** The body may be left out: the handler then gets the body schema's reading of `{}`. */
  bodyOptional?: boolean;
  /**
   * The media types a request body may come in (default JSON only); any other is refused with 415,
   * so an HTML form elsewhere cannot post into a JSON route. Only the one-tap pages take forms and
   * only the import takes CSV.
   */
  accepts?: readonly BodyKind[];
  /** The success status (default 200) and what it answers. */
  status?: number;
  answer: Answer;
  /** When the route answers 409 Conflict. */
  conflict?: string;
  /** Answers besides success and the errors every route of its kind documents (which these replace). */
  otherAnswers?: Record<number, OtherAnswer>;
  /** A JSON answer is checked against its schema (types); a raw one is sent by the handler itself. */
  handler: (
    ctx: RouteContext<Out<Body>, Out<Params>, Out<Query>>,
  ) => Promise<(Answer extends z.ZodType ? z.input<Answer> : never) | FastifyReply | undefined>;
}

type AnyRoute = RouteSpec<
  z.ZodType | undefined,
  z.ZodType | undefined,
  z.ZodType | undefined,
  z.ZodType | RawAnswer
>;

export type BodyKind = 'json' | 'form' | 'csv';
const MEDIA_TYPES: Record<string, BodyKind> = {
  'application/json': 'json',
  'application/x-www-form-urlencoded': 'form',
  'text/csv': 'csv',
  'text/plain': 'csv',
};
const mediaTypesOf = (accepts: readonly BodyKind[]) =>
  Object.entries(MEDIA_TYPES)
    .filter(([, k]) => accepts.includes(k))
    .map(([t]) => t);

/** 415 unless the request has no body or one in a media type the route accepts. */
function requireMediaType(request: FastifyRequest, accepts: readonly BodyKind[]): void {
  const header = request.headers['content-type'];
  if (header === undefined) return;
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  const kind = MEDIA_TYPES[type];
  if (kind === undefined || !accepts.includes(kind)) {
    throw new ServiceError(
      'unsupported_media_type',
      `this route takes ${mediaTypesOf(accepts).join(' or ')}, not '${type.slice(0, 100)}'`,
    );
  }
}

const PUBLIC: Principal = {
  kind: 'token',
  tokenId: '',
  name: 'public',
  role: 'monitor',
  gridId: null,
  expiresAt: null,
  session: null,
};

/**
 * Routes are declared once, with zod schemas for their path, query, body and answers, and their
 * roles: the same declaration registers the Fastify route (through the zod type provider), checks
 * the token and the role, validates the request, serializes the answer and feeds the OpenAPI
 * document at /docs. The order of refusals is the same for every route: 401, 403, 415, then 400.
 */
export class RouteTable {
  readonly routes: AnyRoute[] = [];

  constructor(private readonly authenticate: (request: FastifyRequest) => Promise<Principal>) {}

  add<
    Params extends z.ZodType | undefined = undefined,
    Query extends z.ZodType | undefined = undefined,
    Body extends z.ZodType | undefined = undefined,
    Answer extends z.ZodType | RawAnswer = z.ZodType,
  >(spec: RouteSpec<Params, Query, Body, Answer>): void {
    this.routes.push(spec as unknown as AnyRoute);
  }

  register(app: FastifyInstance, options: { verifyResponses: boolean }): void {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    for (const spec of this.routes) {
      const answers = answersOf(spec);
      const principals = new WeakMap<FastifyRequest, Principal>();
      const accepts = spec.accepts ?? ['json'];
      typed.route({
        method: spec.method,
        url: spec.url,
        schema: routeSchema(spec, answers),
        validatorCompiler: zodValidator({
          optional: spec.bodyOptional === true,
          missing: accepts.includes('csv')
            ? 'send the file as the body with Content-Type: text/csv'
            : 'request body is missing: send a JSON object',
        }),
        // After the body is read, before it is validated: who may call comes before what they sent.
        preValidation: async (request) => {
          const principal = spec.roles.length === 0 ? PUBLIC : await this.authenticate(request);
          if (spec.roles.length > 0) requireRole(principal, spec.roles);
          requireMediaType(request, accepts);
          principals.set(request, principal);
        },
        ...(options.verifyResponses
          ? responseCheckHooks(`${spec.method} ${spec.url}`, (status) => {
              const answer = answers[status]?.answer;
              return answer instanceof z.ZodType ? answer : undefined;
            })
          : {}),
        handler: async (request, reply) => {
          const result = await spec.handler({
            body: request.body as never,
            params: request.params as never,
            query: request.query as never,
            principal: principals.get(request) ?? PUBLIC,
            request,
            reply,
          });
          if (reply.sent) return reply;
          reply.code(spec.status ?? 200);
          return result;
        },
      });
    }
  }
}

type Answers = Record<number, { description: string; answer: z.ZodType | RawAnswer }>;

/** Every answer a route can give: its success, the errors its kind of route gives, its own extras. */
function answersOf(spec: AnyRoute): Answers {
  const status = spec.status ?? 200;
  const answers: Answers = {
    [status]: {
      description:
        'contentType' in spec.answer ? spec.answer.description : status === 201 ? 'created' : 'success',
      answer: spec.answer,
    },
  };
  const error = (description: string) => ({ description, answer: errorAnswer });
  // An id in the path, or a field naming one in the body or a filter (`gridId`), can name something
  // unknown or out of scope.
  const namesIds = (s: z.ZodType | undefined) =>
    s instanceof z.ZodObject && Object.keys(s.shape).some((k) => k.endsWith('Id'));
  const takesBody = spec.body !== undefined || spec.accepts !== undefined;
  if (spec.body || spec.query)
    answers[400] = error(
      'the request is not valid: the message names the first bad field, details list each',
    );
  if (spec.roles.length > 0) {
    answers[401] = error('no token, or an unknown, revoked or expired one');
    answers[403] = error('your role may not do this');
  }
  if (spec.params || namesIds(spec.body) || namesIds(spec.query))
    answers[404] = error('unknown id, or one outside your grid scope (the same answer for both)');
  if (spec.conflict) answers[409] = error(spec.conflict);
  if (takesBody) {
    answers[413] = error('the body is larger than 5 MiB');
    answers[415] = error(`the body is not ${mediaTypesOf(spec.accepts ?? ['json']).join(' or ')}`);
  }
  for (const [code, other] of Object.entries(spec.otherAnswers ?? {}))
    answers[Number(code)] = { description: other.description, answer: other.answer ?? errorAnswer };
  return answers;
}

/**
 * The Fastify route schema: zod for the request (validated by zodValidator), JSON Schema for the
 * answers Fastify serializes. Errors are written by api/errorHandler.ts in one shape and only
 * documented (`x-error-answers`, api/openApi.ts): compiling a serializer for each route's seven
 * error statuses would add about 120 ms to every start for answers JSON.stringify writes anyway.
 */
/** Fastify's route schema plus the marks api/openApi.ts reads (swagger passes `x-` keys on). */
type RouteSchema = FastifySchema & { 'x-error-answers': Record<string, string>; 'x-body-optional'?: true };

function routeSchema(spec: AnyRoute, answers: Answers): RouteSchema {
  const response: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const [status, { description, answer }] of Object.entries(answers)) {
    if (answer === errorAnswer) errors[status] = description;
    else
      response[status] = {
        description,
        content:
          answer instanceof z.ZodType
            ? { 'application/json': { schema: answerJsonSchema(answer) } }
            : {
                ...Object.fromEntries(
                  [answer.contentType, ...(answer.alsoAs ?? [])].map((t) => [
                    t,
                    { schema: { type: 'string' } },
                  ]),
                ),
                ...(answer.json ? { 'application/json': { schema: answerJsonSchema(answer.json) } } : {}),
              },
      };
  }
  return {
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.roles.length > 0
      ? { security: [{ bearer: [] }], description: `Roles: ${spec.roles.join(', ')}` }
      : { description: 'Public: no token.' }),
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.query ? { querystring: spec.query } : {}),
    ...(spec.body ? { body: spec.body, consumes: mediaTypesOf(spec.accepts ?? ['json']) } : {}),
    // @fastify/swagger marks every body required; api/openApi.ts reads this mark and says optional.
    ...(spec.bodyOptional ? { 'x-body-optional': true as const } : {}),
    'x-error-answers': errors,
    response,
  };
}
