import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { forbidden } from '../core/errors.ts';

/** The header a cookie-signed state-changing call carries, with the csrfToken of GET /api/me. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const changesState = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/** The origin the request says it comes from: its Origin header, else its Referer's origin. */
function claimedOrigin(headers: FastifyRequest['headers']): string | null {
  const origin = headers.origin;
  if (typeof origin === 'string' && origin !== 'null') return origin;
  const referer = headers.referer;
  if (typeof referer !== 'string') return null;
  try {
    return new URL(referer).origin;
  } catch {
    return null;
  }
}

/**
 * True when the request comes from our own page: its Origin (or Referer) is PUBLIC_URL's origin or
 * names the very host the request was sent to. A page on another site cannot set either header.
 */
export function fromOwnOrigin(headers: FastifyRequest['headers'], publicOrigin: string): boolean {
  const origin = claimedOrigin(headers);
  if (origin === null) return false;
  if (origin === publicOrigin) return true;
  try {
    return headers.host !== undefined && new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The CSRF defence for calls signed in by the session cookie (bearer calls need none: no browser
 * adds an Authorization header by itself). A state-changing call must come from our own origin and
 * carry the session's CSRF token in `x-csrf-token`, which only a page of ours can read (GET /api/me).
 * SameSite=Strict already keeps the cookie off other sites' requests; this holds where it does not
 * (old browsers, a sibling subdomain, a proxy that rewrites cookies).
 */
export function requireCsrf(
  request: Pick<FastifyRequest, 'method' | 'headers'>,
  csrfToken: string,
  publicOrigin: string,
): void {
  if (!changesState(request.method)) return;
  if (!fromOwnOrigin(request.headers, publicOrigin))
    throw forbidden(
      'a call signed in by the session cookie must come from this service’s own page: the Origin (or Referer) header is missing or names another site',
    );
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameText(sent, csrfToken))
    throw forbidden(
      `a call signed in by the session cookie needs the header ${CSRF_HEADER} with the csrfToken that GET /api/me answers`,
    );
}
