import { z } from 'zod';
import { ServiceError } from '../../core/errors.ts';
import { isMosquittoHash } from '../../registry/secrets.ts';
import type { ApiDeps } from '../deps.ts';
import { paginate } from '../paginate.ts';
import type { Principal } from '../principal.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery } from '../schemas/common.ts';

/** EMQX fills these from its placeholders (`${clientid}`, `${username}`, …); missing ones arrive as empty strings. */
const optionalText = z
  .string()
  .max(1024)
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const authenticateBody = z.object({
  clientid: z.string().max(256),
  username: optionalText,
  password: optionalText,
  peerhost: optionalText,
});

const authorizeBody = z.object({
  clientid: z.string().max(256),
  username: optionalText,
  topic: z.string().min(1).max(65535),
  action: z.enum(['publish', 'subscribe']),
});

const verdict = z
  .enum(['allow', 'deny', 'ignore'])
  .meta({ description: 'ignore: not ours, ask the next source' });
const deviceHash = z.object({
  id: z.string(),
  kind: z.enum(['sensor', 'gateway']),
  mosquittoHash: z
    .string()
    .nullable()
    .meta({ description: "Mosquitto's $7$ format; null while the stored hash is the older scrypt one" }),
});

/**
 * The external broker asks SealWatch who a device is and what it may do
 * (EMQX HTTP authentication and authorization; see broker/EXTERNAL.md). The
 * broker holds a whole-grid admin token: these answers cover every grid.
 */
export function brokerRoutes(table: RouteTable, deps: ApiDeps): void {
  const wholeGrid = (principal: Principal) => {
    if (principal.gridId !== null) throw new ServiceError('forbidden', 'only a whole-grid admin may do this');
  };

  table.add({
    method: 'POST',
    url: '/api/broker/authenticate',
    tag: 'broker',
    summary:
      'For an external broker: check a device login (client id = username = sensor or gateway id, device secret) or the service login; answers {"result":"allow"|"deny"|"ignore"}',
    roles: ['admin'],
    body: authenticateBody,
    answer: z.object({ result: verdict, is_superuser: z.literal(false) }),
    handler: async ({ body, principal }) => {
      wholeGrid(principal);
      return deps.brokerHooks.authenticate(body);
    },
  });

  table.add({
    method: 'POST',
    url: '/api/broker/authorize',
    tag: 'broker',
    summary:
      'For an external broker: may this client publish or subscribe to this topic (a device only its own topics, the service only its shared subscriptions); answers {"result":"allow"|"deny"|"ignore"}',
    roles: ['admin'],
    body: authorizeBody,
    answer: z.object({ result: verdict }),
    handler: async ({ body, principal }) => {
      wholeGrid(principal);
      return deps.brokerHooks.authorize(body);
    },
  });

  table.add({
    method: 'GET',
    url: '/api/broker/passwd',
    tag: 'broker',
    summary:
      "For `npm run broker-config -- mosquitto`: every sensor and gateway with its secret's hash in Mosquitto's `$7$` password-file format, or null while it is still the older scrypt hash (the device has not logged in since the upgrade)",
    roles: ['admin'],
    query: pageQuery(10_000),
    answer: pageOf(deviceHash),
    handler: async ({ query, principal }) => {
      wholeGrid(principal);
      // A hash is no credential (the secret is 192 random bits), but only whole-grid admins get the list.
      return paginate(deps.registry.deviceSecretHashes(), query, (d) => ({
        id: d.id,
        kind: d.kind,
        mosquittoHash: isMosquittoHash(d.hash) ? d.hash : null,
      }));
    },
  });
}
