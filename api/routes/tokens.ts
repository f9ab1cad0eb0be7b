import type { z } from 'zod';
import { forbidden, notFound } from '../../core/errors.ts';
import { createTokenBody, TOKEN_STATUSES, type Token, tokenStatus } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { oneOf, pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { newTokenAnswer, tokenAnswer } from '../schemas/registryAnswers.ts';
import { iso, isoAt } from '../views.ts';

export function tokenRoutes(table: RouteTable, { registry, clock }: ApiDeps): void {
  /** A token as the API shows it: never its value, never its hash. */
  const tokenView = (t: Token, now: number, principal: Principal): z.input<typeof tokenAnswer> => ({
    id: t.id,
    name: t.name,
    role: t.role,
    gridId: t.gridId,
    status: tokenStatus(t, now),
    createdAt: isoAt(t.createdAt),
    expiresAt: iso(t.expiresAt),
    revokedAt: iso(t.revokedAt),
    /** The token of this request: revoking it ends the caller's own access. */
    current: t.id === principal.tokenId,
  });

  /** A scoped admin sees the tokens inside its subtree; whole-grid tokens only a whole-grid admin. */
  const visible = (principal: Principal, t: Token) =>
    t.gridId === null ? principal.gridId === null : inScope(registry.tree, principal, t.gridId);

  table.add({
    method: 'POST',
    url: '/api/tokens',
    tag: 'access',
    summary:
      'Issue an API token for a role scoped to a grid subtree, optionally expiring ("expiresAt", RFC 3339, in the future); the token is shown only here',
    roles: ['admin'],
    body: createTokenBody,
    status: 201,
    answer: newTokenAnswer,
    handler: async ({ body, principal }) => {
      // A scoped admin can only hand out tokens inside its own subtree.
      if (body.gridId === null && principal.gridId !== null)
        throw forbidden('a scoped admin cannot issue whole-grid tokens');
      if (body.gridId !== null && registry.gridNode(body.gridId))
        requireScope(registry.tree, principal, body.gridId, { what: 'grid node', id: body.gridId });
      const { token, value } = await registry.createToken(body, principal);
      return { ...tokenView(token, clock.now(), principal), token: value };
    },
  });
  table.add({
    method: 'GET',
    url: '/api/tokens',
    tag: 'access',
    summary:
      'API tokens in your scope, oldest first, revoked and expired ones too (?status=active|revoked|expired&limit=&offset=); never their values',
    roles: ['admin'],
    query: pageQuery(1000).extend({ status: oneOf(TOKEN_STATUSES).optional() }),
    answer: pageOf(tokenAnswer),
    handler: async ({ principal, query }) => {
      const status = query.status;
      const now = clock.now();
      return paginate(
        (await registry.tokens())
          .filter((t) => visible(principal, t))
          .filter((t) => status === undefined || tokenStatus(t, now) === status),
        query,
        (t) => tokenView(t, now, principal),
      );
    },
  });
  table.add({
    method: 'DELETE',
    url: '/api/tokens/:tokenId',
    tag: 'access',
    summary:
      'Revoke a token: it answers 401 at once on every instance and its MQTT sessions close; the last whole-grid admin token that never expires is refused (409)',
    roles: ['admin'],
    params: pathParams('tokenId'),
    answer: tokenAnswer,
    conflict: 'the last whole-grid admin token that never expires: issue another one first',
    handler: async ({ params, principal }) => {
      const id = params.tokenId;
      // Out of scope looks like unknown: a scoped admin learns nothing of other subtrees' tokens.
      const known = await registry.token(id);
      if (!known || !visible(principal, known)) throw notFound('token', id);
      return tokenView(await registry.revokeToken(id, principal), clock.now(), principal);
    },
  });
}
