import { z } from 'zod';
import { forbidden, invalid, ServiceError } from '../../core/errors.ts';
import { signInBody, usernameKey } from '../../registry/userSchemas.ts';
import { fromOwnOrigin } from '../csrf.ts';
import type { ApiDeps } from '../deps.ts';
import { personScope } from '../personScope.ts';
import type { Principal } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { meAnswer } from '../schemas/registryAnswers.ts';
import { clearSessionCookie, sessionIdOf, setSessionCookie } from '../sessionCookie.ts';
import { SignInThrottle } from '../signInThrottle.ts';

const ALL = ['admin', 'monitor', 'worker', 'technician'] as const;

/** People sign in and out on the page; GET /api/me says who is calling, person or machine. */
export function sessionRoutes(table: RouteTable, { registry, clock, sessions }: ApiDeps): void {
  const throttle = new SignInThrottle(clock);

  const me = (principal: Principal): z.input<typeof meAnswer> => {
    const root = principal.gridId === null ? null : registry.gridNode(principal.gridId);
    return {
      name: principal.name,
      kind: principal.kind,
      role: principal.role,
      gridId: principal.gridId,
      gridName: root?.name ?? null,
      ...(principal.session
        ? {
            username: principal.name,
            userId: principal.session.userId,
            workerId: principal.session.workerId,
            csrfToken: principal.session.csrfToken,
          }
        : {}),
    };
  };

  table.add({
    method: 'POST',
    url: '/api/session',
    tag: 'access',
    summary:
      'Sign in with a user name and password: sets the HttpOnly session cookie and answers who you are with the csrfToken for state-changing calls; wrong name or password: 401 (the same for both); too many failures: 429 with Retry-After',
    roles: [],
    body: signInBody,
    answer: meAnswer,
    otherAnswers: {
      401: { description: 'wrong user name or password (one answer for both), or a disabled user' },
      403: { description: 'posted from another site’s page (Origin)' },
      429: { description: 'too many failed sign-ins for this user name or address: see Retry-After' },
    },
    handler: async ({ body, request, reply }) => {
      // A sign-in posted by another site's page would sign the victim in as the attacker.
      if (request.headers.origin !== undefined && !fromOwnOrigin(request.headers, sessions.publicOrigin))
        throw forbidden('sign in from this service’s own page: the Origin header names another site');
      const outcome = await throttle.attempt(usernameKey(body.username), request.ip, async () => {
        const value = await registry.signIn(body.username, body.password, sessions);
        return { ok: value.result === 'signedIn', value };
      });
      if (outcome.result === 'wrong') {
        request.log.warn({ ip: request.ip }, 'sign-in refused: wrong user name or password');
        throw new ServiceError('unauthorized', 'wrong user name or password');
      }
      if (outcome.result === 'disabled') {
        request.log.warn({ ip: request.ip }, 'sign-in refused: user disabled');
        throw new ServiceError('unauthorized', 'this user is disabled: ask an administrator');
      }
      // A session id the browser already held (planted or old) is ended: a sign-in always starts a
      // new session under a new id, so a fixed id never becomes a signed-in one.
      const previous = sessionIdOf(request);
      if (previous !== null) await registry.signOut(previous, outcome.user);
      setSessionCookie(reply, outcome.sessionId, sessions);
      request.log.info({ userId: outcome.user.id, username: outcome.user.username }, 'signed in');
      const { user } = outcome;
      return me({
        kind: 'user',
        tokenId: '',
        name: user.username,
        role: user.role,
        gridId: personScope(registry, user),
        expiresAt: null,
        session: {
          userId: user.id,
          workerId: user.workerId,
          sessionId: outcome.sessionId,
          csrfToken: outcome.csrfToken,
        },
      });
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/session',
    tag: 'access',
    summary:
      'Sign out: the session ends on every instance and the cookie is cleared (needs x-csrf-token like every state-changing call made with the cookie)',
    roles: ALL,
    answer: z.object({ signedOut: z.literal(true) }),
    handler: async ({ principal, reply }) => {
      if (principal.session === null)
        throw invalid('a bearer token has no session to end: revoke the token (DELETE /api/tokens/:tokenId)');
      await registry.signOut(principal.session.sessionId, {
        id: principal.session.userId,
        username: principal.name,
        gridId: principal.gridId,
      });
      clearSessionCookie(reply, sessions);
      return { signedOut: true as const };
    },
  });

  table.add({
    method: 'GET',
    url: '/api/me',
    tag: 'access',
    summary:
      "Who is calling (the page's header): a person (kind 'user', with the csrfToken for state-changing calls) or a token (kind 'token'); name, role and grid subtree",
    roles: ALL,
    answer: meAnswer,
    handler: async ({ principal }) => me(principal),
  });
}
