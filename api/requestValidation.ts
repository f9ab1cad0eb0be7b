import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { invalid } from '../core/errors.ts';

/** How a route takes its body: required (the default), or optional (an absent body is `{}`). */
export interface BodyRule {
  optional: boolean;
  /** The message when a required body is absent. */
  missing: string;
}

const WHERE: Record<string, string> = { body: 'body', querystring: 'query', params: 'path' };

/**
 * Fastify's validator for a route's zod schemas (body, query, path). A refusal is SPEC's 400
 * `{"error":{"code":"validation","message","details"}}`: the message names the first bad field
 * (`end: must be after start`), `details` lists every one as `{path, message}`.
 */
export function zodValidator(body: BodyRule): FastifySchemaCompiler<FastifySchema> {
  return ({ schema, httpPart }) =>
    (data) => {
      // Fastify hands an absent body over as null; a JSON `null` is no body either.
      let input = data;
      if (httpPart === 'body' && (input === null || input === undefined)) {
        if (!body.optional) return { error: invalid(body.missing) };
        input = {};
      }
      const result = (schema as unknown as z.ZodType).safeParse(input);
      if (result.success) return { value: result.data };
      const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const where = WHERE[httpPart ?? 'body'] ?? 'request';
      const first = details[0];
      return {
        error: invalid(first ? `${first.path || where}: ${first.message}` : `invalid ${where}`, details),
      };
    };
}
