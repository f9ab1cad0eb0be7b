import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The session cookie of people signed in on the page. It holds a random session id (the store
 * keeps only its hash); HttpOnly so page scripts never see it, SameSite=Strict so no other site's
 * page sends it, Secure whenever people reach us over HTTPS.
 */
export const SESSION_COOKIE = 'sealwatch_session';

/** What the API knows of people's sessions: from PUBLIC_URL, HTTP_TLS, SESSION_IDLE and SESSION_MAX. */
export interface SessionSettings {
  idleMs: number;
  maxMs: number;
  /** PUBLIC_URL's origin: a cookie's state-changing call must come from it (or from its own Host). */
  publicOrigin: string;
  /** The cookie is Secure when people reach the page over HTTPS (PUBLIC_URL https, or HTTP_TLS). */
  secureCookie: boolean;
}

/** The session id the request's Cookie header carries, if any. */
export function sessionIdOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // Our ids are base64url: anything else was not issued here.
    return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
  }
  return null;
}

const attributes = (settings: SessionSettings, maxAgeSeconds: number) =>
  [
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(settings.secureCookie ? ['Secure'] : []),
  ].join('; ');

/** Sets the cookie; the browser drops it by itself when the session's absolute lifetime is over. */
export function setSessionCookie(reply: FastifyReply, sessionId: string, settings: SessionSettings): void {
  const maxAge = Math.floor(settings.maxMs / 1000);
  reply.header('set-cookie', `${SESSION_COOKIE}=${sessionId}; ${attributes(settings, maxAge)}`);
}

export function clearSessionCookie(reply: FastifyReply, settings: SessionSettings): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; ${attributes(settings, 0)}`);
}
