/**
 * Errors are values with codes. The API maps codes to HTTP statuses in one
 * place (api/errorHandler.ts); logs carry the code and the context.
 */
export type ErrorCode =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'config'
  | 'unavailable'
  | 'internal'
  /** Too many attempts (failed sign-ins): wait as the answer's Retry-After says. */
  | 'too_many_requests'
  // What the HTTP layer refuses before a route runs (api/errorHandler.ts).
  | 'too_large'
  | 'uri_too_long'
  | 'unsupported_media_type'
  | 'headers_too_large'
  | 'timeout';

export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, details?: unknown) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.context = context;
    this.details = details;
  }
}

export const notFound = (what: string, id: string): ServiceError =>
  new ServiceError('not_found', `${what} '${id}' does not exist`, { what, id });

export const conflict = (message: string, context: Record<string, unknown> = {}): ServiceError =>
  new ServiceError('conflict', message, context);

export const invalid = (message: string, details?: unknown): ServiceError =>
  new ServiceError('validation', message, {}, details);

export const forbidden = (message: string): ServiceError => new ServiceError('forbidden', message);
