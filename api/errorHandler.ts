import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import type { ErrorCode } from '../core/errors.ts';
import { ServiceError } from '../core/errors.ts';
import type { KnownRoutes } from './methodNotAllowed.ts';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  config: 500,
  unavailable: 503,
  internal: 500,
  timeout: 408,
  too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  headers_too_large: 431,
};

/** A code only the router gives: the path exists, the method does not. */
type HttpErrorCode = ErrorCode | 'method_not_allowed';

/** SPEC's error shape, for every answer that is not a success. */
export function errorBody(code: HttpErrorCode, message: string, details?: unknown): Record<string, unknown> {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}

/** Fastify's own status codes for what it refuses itself, as our codes. */
function codeForStatus(status: number): ErrorCode {
  if (status === 413) return 'too_large';
  if (status === 414) return 'uri_too_long';
  if (status === 415) return 'unsupported_media_type';
  if (status === 431) return 'headers_too_large';
  if (status === 408) return 'timeout';
  if (status === 404) return 'not_found';
  return 'validation';
}

/**
 * Errors Fastify and Node answer before any route or error handler runs: a path that is not valid
 * percent-encoding (FST_ERR_BAD_URL), a path parameter past maxParamLength (414), and, below
 * Fastify, the HTTP parser's refusals (431 headers too large, 408, 400). They answer in the same
 * shape as everything else. Spread into the Fastify options.
 */
export const frameworkErrorOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
  frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
    // The offending path is not echoed: it may be megabytes long, or meant to be reflected.
    if (error.code === 'FST_ERR_BAD_URL')
      return reply
        .code(400)
        .send(errorBody('validation', 'the URL path is not valid: a %-escape does not decode'));
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
      return reply.code(414).send(errorBody('uri_too_long', 'a path parameter is too long'));
    reply.log.error({ err: error }, 'unexpected framework error');
    return reply.code(500).send(errorBody('internal', 'internal error'));
  },
  clientErrorHandler(err: Error & { code?: string }, socket: Duplex) {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code, message]: [number, ErrorCode, string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request headers are too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'timeout', 'the request took too long to arrive']
          : [400, 'validation', 'the request is not valid HTTP'];
    if (socket.writable) {
      const body = JSON.stringify(errorBody(code, message));
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  },
};

/** The one place where error codes become HTTP statuses and SPEC's error shape. */
export function installErrorHandler(app: FastifyInstance, known: KnownRoutes): void {
  app.setErrorHandler((err: FastifyError | ServiceError, request, reply) => {
    if (err instanceof ServiceError) {
      const status = STATUS[err.code];
      if (status >= 500) request.log.error({ err, code: err.code, ...err.context }, 'request failed');
      // How long to wait (seconds), for a 429 or a 503 that knows.
      if (typeof err.context.retryAfterSeconds === 'number')
        reply.header('retry-after', String(err.context.retryAfterSeconds));
      return reply.code(status).send(errorBody(err.code, err.message, err.details));
    }
    // Fastify's own errors: unparsable JSON, too large a body, wrong content type.
    const status = err.statusCode ?? 500;
    if (status < 500) {
      return reply.code(status).send(errorBody(codeForStatus(status), err.message));
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send(errorBody('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // RFC 9110 §15.5.6: a method the path does not take is 405, with the methods it does take.
    const allowed = known.allowed(path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(
          errorBody(
            'method_not_allowed',
            `${request.method} is not allowed on ${path}: use ${allowed.join(', ')}`,
          ),
        );
    }
    return reply.code(404).send(errorBody('not_found', `no route ${request.method} ${path}`));
  });
}
