import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid, ServiceError } from '../core/errors.ts';
import type { Role } from '../registry/schemas.ts';
import type { Principal } from './principal.ts';
import { requireRole } from './principal.ts';

export interface RouteContext<Body> {
  body: Body;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<Schema extends z.ZodType | undefined> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  /** Roles allowed; an empty list means public (no token). */
  roles: readonly Role[];
  body?: Schema;
  /**
   * The media types a request body may come in (default JSON only); any other is refused with 415,
   * so an HTML form elsewhere cannot post into a JSON route. Only the one-tap pages take forms and
   * only the import takes CSV.
   */
  accepts?: readonly BodyKind[];
  status?: number;
  handler: (ctx: RouteContext<Schema extends z.ZodType ? z.output<Schema> : undefined>) => Promise<unknown>;
}

type AnyRoute = RouteSpec<z.ZodType | undefined>;

export type BodyKind = 'json' | 'form' | 'csv';
const MEDIA_TYPES: Record<string, BodyKind> = {
  'application/json': 'json',
  'application/x-www-form-urlencoded': 'form',
  'text/csv': 'csv',
  'text/plain': 'csv',
};

/** 415 unless the request has no body or one in a media type the route accepts. */
function requireMediaType(request: FastifyRequest, accepts: readonly BodyKind[]): void {
  const header = request.headers['content-type'];
  if (header === undefined) return;
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  const kind = MEDIA_TYPES[type];
  if (kind === undefined || !accepts.includes(kind)) {
    const names = Object.entries(MEDIA_TYPES)
      .filter(([, k]) => accepts.includes(k))
      .map(([t]) => t);
    throw new ServiceError(
      'unsupported_media_type',
      `this route takes ${names.join(' or ')}, not '${type.slice(0, 100)}'`,
    );
  }
}

/**
 * Routes are declared once, with their zod body schema and roles: the same
 * declaration registers the Fastify route, validates the body, checks the
 * role and feeds the OpenAPI document at /docs.
 */
export class RouteTable {
  readonly routes: AnyRoute[] = [];

  constructor(private readonly authenticate: (request: FastifyRequest) => Promise<Principal>) {}

  add<Schema extends z.ZodType | undefined>(spec: RouteSpec<Schema>): void {
    this.routes.push(spec as unknown as AnyRoute);
  }

  register(app: FastifyInstance): void {
    for (const spec of this.routes) {
      app.route({
        method: spec.method,
        url: spec.url,
        handler: async (request, reply) => {
          const principal =
            spec.roles.length === 0
              ? ({ tokenId: '', name: 'public', role: 'monitor', gridId: null, expiresAt: null } as Principal)
              : await this.authenticate(request);
          if (spec.roles.length > 0) requireRole(principal, spec.roles);
          requireMediaType(request, spec.accepts ?? ['json']);
          const body = spec.body ? parseBody(spec.body, request.body) : undefined;
          const result = await spec.handler({
            body,
            params: request.params as Record<string, string>,
            query: request.query as Record<string, string | undefined>,
            principal,
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

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null) throw invalid('request body is missing: send a JSON object');
  const result = schema.safeParse(body);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = details[0];
    throw invalid(first ? `${first.path || 'body'}: ${first.message}` : 'invalid body', details);
  }
  return result.data;
}

export function openApiDocument(table: RouteTable, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of table.routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const params = [...r.url.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      ...(params.length ? { parameters: params } : {}),
      ...(r.roles.length ? { security: [{ bearer: [] }], description: `Roles: ${r.roles.join(', ')}` } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        [String(r.status ?? 200)]: { description: 'success' },
        400: { description: 'invalid body: {"error":{"code","message","details"}}' },
        401: { description: 'no or unknown token' },
        403: { description: 'the role does not allow this' },
        404: { description: 'unknown id, or one outside your grid scope (the same answer for both)' },
        ...(r.body || r.accepts
          ? {
              415: {
                description: `the body is not ${(r.accepts ?? ['json']).join(' or ')}`,
              },
            }
          : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'SealWatch API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

export { ServiceError };
