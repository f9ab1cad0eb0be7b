import type { FastifyRequest } from 'fastify';
import { ServiceError } from '../core/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Principal } from './principal.ts';

/** Bearer token → principal. The token itself is never logged. */
export function bearerAuthenticator(registry: Registry): (request: FastifyRequest) => Promise<Principal> {
  return async (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new ServiceError('unauthorized', 'send Authorization: Bearer <token>');
    const token = await registry.findToken(match[1] as string);
    if (!token) throw new ServiceError('unauthorized', 'unknown or revoked token');
    return {
      tokenId: token.id,
      name: token.name,
      role: token.role,
      gridId: token.gridId,
      expiresAt: token.expiresAt,
    };
  };
}
