import type { FastifyRequest } from 'fastify';
import { ServiceError } from '../core/errors.ts';
import type { Registry } from '../registry/registry.ts';
import { requireCsrf } from './csrf.ts';
import { personScope } from './personScope.ts';
import { type Principal, userCredential } from './principal.ts';
import { type SessionSettings, sessionIdOf } from './sessionCookie.ts';

/**
 * Who calls: a machine with `Authorization: Bearer <token>`, or a person with the session cookie
 * of POST /api/session. A bearer header wins when both are sent. A state-changing call made with
 * the cookie must pass the CSRF check (api/csrf.ts). Neither the token nor the session id is logged.
 */
export function authenticator(
  registry: Registry,
  sessions: SessionSettings,
): (request: FastifyRequest) => Promise<Principal> {
  const bearer = bearerAuthenticator(registry);
  return async (request) => {
    if (request.headers.authorization !== undefined) return bearer(request);
    const sessionId = sessionIdOf(request);
    if (sessionId === null)
      throw new ServiceError(
        'unauthorized',
        'sign in (POST /api/session), or send Authorization: Bearer <token>',
      );
    const session = await registry.session(sessionId, sessions);
    if (!session) throw new ServiceError('unauthorized', 'your session has ended: sign in again');
    requireCsrf(request, session.csrfToken, sessions.publicOrigin);
    const { user } = session;
    return {
      kind: 'user',
      tokenId: userCredential(user.id),
      name: user.username,
      role: user.role,
      gridId: personScope(registry, user),
      expiresAt: session.expiresAt,
      session: { userId: user.id, workerId: user.workerId, sessionId, csrfToken: session.csrfToken },
    };
  };
}

/** Bearer token → principal. The token itself is never logged. */
export function bearerAuthenticator(registry: Registry): (request: FastifyRequest) => Promise<Principal> {
  return async (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new ServiceError('unauthorized', 'send Authorization: Bearer <token>');
    const token = await registry.findToken(match[1] as string);
    if (!token) throw new ServiceError('unauthorized', 'unknown or revoked token');
    return {
      kind: 'token',
      tokenId: token.id,
      name: token.name,
      role: token.role,
      gridId: token.gridId,
      expiresAt: token.expiresAt,
      session: null,
    };
  };
}
