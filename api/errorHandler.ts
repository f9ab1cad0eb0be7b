import type { FastifyError, FastifyInstance } from 'fastify';
import type { ErrorCode } from '../core/errors.ts';
import { ServiceError } from '../core/errors.ts';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  config: 500,
  unavailable: 503,
  internal: 500,
};

/** The one place where error codes become HTTP statuses and SPEC's error shape. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ServiceError, request, reply) => {
    if (err instanceof ServiceError) {
      const status = STATUS[err.code];
      if (status >= 500) request.log.error({ err, code: err.code, ...err.context }, 'request failed');
      return reply.code(status).send({
        error: {
          code: err.code,
          message: err.message,
          ...(err.details !== undefined ? { details: err.details } : {}),
        },
      });
    }
    // Fastify's own errors: unparsable JSON, too large a body, wrong content type.
    const status = err.statusCode ?? 500;
    if (status < 500) {
      return reply
        .code(status)
        .send({ error: { code: status === 413 ? 'too_large' : 'validation', message: err.message } });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    }),
  );
}
