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
  table.add({
    method: 'GET',
    url: '/api/me',
    tag: 'access',
    summary: "Who the token is: its name, role and grid subtree (the page's header)",
    roles: ['admin', 'monitor', 'worker', 'technician'],
    handler: async ({ principal }) => {
      const root = principal.gridId === null ? null : registry.gridNode(principal.gridId);
      return {
        name: principal.name,
        role: principal.role,
        gridId: principal.gridId,
        gridName: root?.name ?? null,
      };
    },
  });
}
