import type { AedesOptions, Client } from 'aedes';
import { canSubscribe } from '../acl.ts';
import { type DeliveredQosCap, SESSION_MARKER } from '../aedesPatches.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import type { Identity } from '../identity.ts';
import type { RetainedOrder } from '../retainedOrder.ts';
import { filterProblem } from '../topicValidation.ts';

export interface SubscribeHookDeps {
  identities: WeakMap<Client, Identity>;
  accounting: ConnectionAccounting;
  retainedOrder: RetainedOrder;
  /** Put on a client's delivery at its first granted subscription. */
  qosCap: DeliveredQosCap;
  /** Which registered sensor a dialect topic names (a Shelly's command topic names its device id). */
  sensorIdForTopic?: ((topic: string) => string | undefined) | undefined;
}

/**
 * SUBSCRIBE (Aedes' lib/handlers/subscribe.js), also each subscription a resumed session
 * restores: the filter checks Aedes leaves to us, and the ACL. A granted subscription puts the QoS
 * cap on the client's delivery before Aedes adds it (aedesPatches.ts `DeliveredQosCap`).
 */
export function subscribeHook(deps: SubscribeHookDeps): Required<Pick<AedesOptions, 'authorizeSubscribe'>> {
  const { accounting } = deps;
  return {
    // A refused filter is answered 0x80 in the SUBACK (done(null, null)), the connection stays
    // (MQTT-3.8.4-1, 3.9.3); an error would make Aedes close it.
    authorizeSubscribe(client, subscription, done) {
      if (subscription.topic === SESSION_MARKER) return done(null, null);
      // A retained PUBLISH of this client read in the same batch goes first (MQTT-4.6.0-6).
      deps.retainedOrder.after(client, subscription.topic, () => {
        if (filterProblem(subscription.topic)) {
          accounting.refused('bad_topic_filter');
          return done(null, null);
        }
        const identity = deps.identities.get(client);
        if (!identity || !canSubscribe(identity, subscription.topic, deps.sensorIdForTopic)) {
          accounting.refused('acl_subscribe');
          return done(null, null);
        }
        deps.qosCap.wrap(client);
        done(null, subscription);
      });
    },
  };
}
