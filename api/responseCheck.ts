import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ServiceError } from '../core/errors.ts';

/**
 * A check for tests (API_VERIFY_RESPONSES=true, set by test/helpers/service.ts): every JSON
 * answer must fit its declared schema and come out of serialization exactly as the handler made it.
 * fast-json-stringify drops fields a schema does not list and coerces mistyped ones (null to "",
 * 1.5 to 1) without a word; here either is a 500 naming the route (the first difference is logged),
 * so an incomplete schema fails the test that reads the answer instead of shipping.
 */
export function responseCheckHooks(route: string, schemaFor: (status: number) => z.ZodType | undefined) {
  const made = new WeakMap<FastifyRequest, unknown>();
  return {
    preSerialization: async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      made.set(request, payload);
      return payload;
    },
    onSend: async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (!made.has(request) || typeof payload !== 'string') return payload;
      const original = made.get(request);
      made.delete(request);
      const schema = schemaFor(reply.statusCode);
      if (!schema) return payload;
      const parsed = schema.safeParse(original);
      const sent = JSON.parse(payload) as unknown;
      const expected = JSON.parse(JSON.stringify(original)) as unknown;
      const difference = parsed.success
        ? firstDifference(expected, sent, '')
        : `does not fit the schema: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`;
      if (difference === null) return payload;
      // The difference (values included) goes to the log only, never into the answer.
      throw new ServiceError('internal', `the answer of ${route} does not match its declared schema`, {
        route,
        status: reply.statusCode,
        difference,
      });
    },
  };
}

/** Where two JSON values first differ, as `path: made X, sent Y`; null when they are equal. */
function firstDifference(made: unknown, sent: unknown, path: string): string | null {
  if (typeof made !== 'object' || made === null || typeof sent !== 'object' || sent === null) {
    return Object.is(made, sent)
      ? null
      : `${path || '(root)'}: made ${JSON.stringify(made)}, sent ${JSON.stringify(sent)}`;
  }
  const keys = new Set([...Object.keys(made), ...Object.keys(sent)]);
  for (const key of keys) {
    const d = firstDifference(
      (made as Record<string, unknown>)[key],
      (sent as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
    );
    if (d !== null) return d;
  }
  return Array.isArray(made) !== Array.isArray(sent) ? `${path}: array and object` : null;
}
