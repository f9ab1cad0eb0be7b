import { forbidden } from '../../core/errors.ts';
import { createTokenBody } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { iso } from '../views.ts';

export function tokenRoutes(table: RouteTable, { registry }: ApiDeps): void {
  table.add({
    method: 'POST',
    url: '/api/tokens',
    tag: 'access',
    summary: 'Issue an API token for a role scoped to a grid subtree; the token is shown only here',
    roles: ['admin'],
    body: createTokenBody,
    status: 201,
    handler: async ({ body, principal }) => {
      // A scoped admin can only hand out tokens inside its own subtree.
      if (body.gridId === null && principal.gridId !== null)
        throw forbidden('a scoped admin cannot issue whole-grid tokens');
      if (body.gridId !== null && registry.gridNode(body.gridId))
        requireScope(registry.tree, principal, body.gridId);
      const { token, value } = await registry.createToken(body);
      return { ...token, createdAt: iso(token.createdAt), token: value };
    },
  });
}
