import { z } from 'zod';
import { forbidden, notFound } from '../../core/errors.ts';
import { ROLES } from '../../registry/schemas.ts';
import { createUserBody, type User, updateUserBody } from '../../registry/userSchemas.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import { inScope, type Principal, requireScope } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { oneOf, pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { userAnswer } from '../schemas/registryAnswers.ts';
import { iso, isoAt } from '../views.ts';

/**
 * People who sign in on the page, managed by administrators. Scoped like tokens: an admin of a
 * subtree manages the users inside it only; whole-grid users only a whole-grid admin. A user
 * outside the caller's subtree answers as an unknown id does (404).
 */
export function userRoutes(table: RouteTable, { registry }: ApiDeps): void {
  /** A user as the API shows it: never the password or its hash. */
  const userView = (u: User, principal: Principal): z.input<typeof userAnswer> => ({
    id: u.id,
    username: u.username,
    role: u.role,
    gridId: u.gridId,
    workerId: u.workerId,
    createdAt: isoAt(u.createdAt),
    disabled: u.disabledAt !== null,
    disabledAt: iso(u.disabledAt),
    current: u.id === principal.session?.userId,
  });

  const visible = (principal: Principal, u: User) =>
    u.gridId === null ? principal.gridId === null : inScope(registry.tree, principal, u.gridId);

  /** The scope a user is given must lie in the caller's; a worker linked must be one the caller sees. */
  const requireGrantable = (
    principal: Principal,
    gridId: string | null | undefined,
    workerId?: string | null,
  ) => {
    if (gridId === null && principal.gridId !== null)
      throw forbidden('a scoped admin cannot create or make whole-grid users');
    if (gridId !== undefined && gridId !== null && registry.gridNode(gridId))
      requireScope(registry.tree, principal, gridId, { what: 'grid node', id: gridId });
    const worker = workerId ? registry.worker(workerId) : undefined;
    if (worker && workerId)
      requireScope(registry.tree, principal, worker.gridId, { what: 'worker', id: workerId });
  };

  const visibleUser = async (principal: Principal, id: string): Promise<User> => {
    const user = await registry.user(id);
    if (!user || !visible(principal, user)) throw notFound('user', id);
    return user;
  };

  table.add({
    method: 'POST',
    url: '/api/users',
    tag: 'access',
    summary:
      'Create a person who signs in on the page: a user name (unique, case-insensitive), a password of at least 10 characters (never shown again), a role, a grid subtree (null: the whole grid) and optionally the worker they are',
    roles: ['admin'],
    body: createUserBody,
    status: 201,
    answer: userAnswer,
    conflict: 'the user name is taken (user names ignore case)',
    handler: async ({ body, principal }) => {
      requireGrantable(principal, body.gridId, body.workerId);
      return userView(await registry.createUser(body, principal), principal);
    },
  });

  table.add({
    method: 'GET',
    url: '/api/users',
    tag: 'access',
    summary:
      'The people who sign in, in your scope, oldest first (?role=&limit=&offset=); never their passwords',
    roles: ['admin'],
    query: pageQuery(1000).extend({ role: oneOf(ROLES).optional() }),
    answer: pageOf(userAnswer),
    handler: async ({ principal, query }) =>
      paginate(
        (await registry.allUsers())
          .filter((u) => visible(principal, u))
          .filter((u) => query.role === undefined || u.role === query.role),
        query,
        (u) => userView(u, principal),
      ),
  });

  table.add({
    method: 'PATCH',
    url: '/api/users/:userId',
    tag: 'access',
    summary:
      'Change a user: role, gridId, workerId, a new password (a reset), or disabled true/false. A new password, disabling, and a new role or scope end their sessions',
    roles: ['admin'],
    params: pathParams('userId'),
    body: updateUserBody,
    answer: userAnswer,
    handler: async ({ params, body, principal }) => {
      await visibleUser(principal, params.userId);
      requireGrantable(principal, body.gridId, body.workerId);
      return userView(await registry.updateUser(params.userId, body, principal), principal);
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/users/:userId',
    tag: 'access',
    summary:
      'Remove a user: their sessions end at once; what they did stays in the histories under their name',
    roles: ['admin'],
    params: pathParams('userId'),
    answer: userAnswer,
    handler: async ({ params, principal }) => {
      await visibleUser(principal, params.userId);
      return userView(await registry.deleteUser(params.userId, principal), principal);
    },
  });

  table.add({
    method: 'DELETE',
    url: '/api/users/:userId/sessions',
    tag: 'access',
    summary:
      'Sign a user out everywhere (a lost phone, a handed-over shift): every session of theirs ends at once, their open pages answer 401 next',
    roles: ['admin'],
    params: pathParams('userId'),
    answer: z.object({ id: z.string(), username: z.string(), sessionsEnded: z.number().int() }),
    handler: async ({ params, principal }) => {
      const user = await visibleUser(principal, params.userId);
      const sessionsEnded = await registry.endUserSessions(params.userId, principal);
      return { id: user.id, username: user.username, sessionsEnded };
    },
  });
}
