import { timingSafeEqual } from 'node:crypto';
import { parseSealTopic } from '../../contract/topics.ts';
import { canPublish, canSubscribe } from '../acl.ts';
import type { Authenticator } from '../authenticator.ts';
import { type Identity, SERVICE_USERNAME } from '../identity.ts';

/**
 * SealWatch's authentication and ACL offered to an external broker (EMQX's
 * HTTP authenticator and authorizer call them through the API). An answer of
 * `ignore` leaves the decision to the broker's next authenticator or
 * authorizer: we only answer for devices of our registry and for our own
 * consumer login.
 */
export type HookResult = 'allow' | 'deny' | 'ignore';

export interface AuthenticateRequest {
  clientid: string;
  username?: string | undefined;
  password?: string | undefined;
  peerhost?: string | undefined;
}

export interface AuthorizeRequest {
  clientid: string;
  username?: string | undefined;
  topic: string;
  action: 'publish' | 'subscribe';
}

export interface BrokerHooksDeps {
  authenticator: Authenticator;
  /** Who a device username is, from the registry (sensor or gateway); undefined when unknown. */
  deviceIdentity(username: string): Identity | undefined;
  /** Which registered sensor a topic speaks for (native id, or a dialect's friendly name). */
  sensorIdForTopic(topic: string): string | undefined;
  /** The SealWatch instances' own login at the broker (MQTT_USERNAME, MQTT_PASSWORD), if configured. */
  consumer: { username: string; password: string | undefined } | null;
  shareGroup: string;
  /** What ingest subscribes to, without the `$share/<group>/` prefix. */
  topicFilters: readonly string[];
}

/**
 * Publishing through an external broker: the service cannot see the publisher
 * of a message it receives on a shared subscription, so the broker must pin
 * every device to its own topics. For gateways that includes the dialect
 * topics: only those naming one of its sensors (the embedded broker lets a
 * gateway publish any dialect topic because ingest checks each decoded sensor
 * against the publisher; here ingest cannot).
 */
export function canPublishExternally(
  identity: Identity,
  topic: string,
  sensorIdForTopic: (topic: string) => string | undefined,
): boolean {
  if (!canPublish(identity, topic)) return false;
  if (identity.kind !== 'gateway' || parseSealTopic(topic)) return true;
  const sensorId = sensorIdForTopic(topic);
  return sensorId !== undefined && identity.sensorIds.has(sensorId);
}

export function createBrokerHooks(deps: BrokerHooksDeps) {
  // EMQX authorizes `$share/<group>/t` as the real topic `t`; other brokers may pass it whole.
  const consumerFilters = new Set(deps.topicFilters.flatMap((f) => [f, `$share/${deps.shareGroup}/${f}`]));

  const isConsumer = (username: string | undefined) =>
    deps.consumer !== null && username === deps.consumer.username;

  return {
    async authenticate(req: AuthenticateRequest): Promise<{ result: HookResult; is_superuser: false }> {
      const answer = (result: HookResult) => ({ result, is_superuser: false as const });
      if (isConsumer(req.username)) {
        const expected = deps.consumer?.password;
        return answer(expected !== undefined && sameSecret(req.password ?? '', expected) ? 'allow' : 'deny');
      }
      // API-token logins (commissioning tool, dashboards) are scoped per token, which a topic-only
      // authorizer cannot enforce on wildcard subscriptions: left to the broker's own users.
      if (req.username === SERVICE_USERNAME) return answer('ignore');
      const outcome = await deps.authenticator.authenticate(
        req.clientid,
        req.username,
        req.password === undefined ? undefined : Buffer.from(req.password, 'utf8'),
        req.peerhost ?? 'broker',
      );
      return answer(outcome.ok ? 'allow' : 'deny');
    },

    authorize(req: AuthorizeRequest): { result: HookResult } {
      if (isConsumer(req.username)) {
        const ok = req.action === 'subscribe' && consumerFilters.has(req.topic);
        return { result: ok ? 'allow' : 'deny' };
      }
      if (req.username === undefined || req.username === SERVICE_USERNAME) return { result: 'ignore' };
      const identity = deps.deviceIdentity(req.username);
      if (!identity) return { result: 'ignore' };
      // Devices log in with client id = username (checked at authentication too).
      if (req.clientid !== req.username) return { result: 'deny' };
      const ok =
        req.action === 'publish'
          ? canPublishExternally(identity, req.topic, deps.sensorIdForTopic)
          : canSubscribe(identity, req.topic, deps.sensorIdForTopic);
      return { result: ok ? 'allow' : 'deny' };
    },
  };
}

export type BrokerHooks = ReturnType<typeof createBrokerHooks>;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
