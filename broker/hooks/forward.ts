import type { AedesOptions, Client } from 'aedes';
import type { DeliveredQosCap } from '../aedesPatches.ts';
import type { RedisBackplane } from '../cluster.ts';
import type { Identity } from '../identity.ts';
import type { RedeliveryMarker } from '../redeliveryMarker.ts';

export interface ForwardHookDeps {
  identities: WeakMap<Client, Identity>;
  /** Whether a scoped service client may receive a message on this topic. */
  mayRead(identity: Identity, topic: string): boolean;
  qosCap: DeliveredQosCap;
  redeliveries: RedeliveryMarker;
  /** With REDIS_URL: where the redelivery keys are shared with the other nodes. */
  backplane: RedisBackplane | null;
}

/**
 * A PUBLISH on its way out to one client (Aedes' lib/client.js `deliverQoS`/`deliver0`, and the
 * messages queued for a persistent session, lib/handlers/connect.js `emptyQueue`): a scoped
 * service client's read scope, the QoS cap of the queued path, and DUP on a redelivery.
 */
export function forwardHook(deps: ForwardHookDeps): Required<Pick<AedesOptions, 'authorizeForward'>> {
  return {
    authorizeForward(client, packet) {
      const identity = deps.identities.get(client);
      if (identity?.kind === 'service' && !deps.mayRead(identity, packet.topic)) return null;
      deps.qosCap.capQueued(client, packet);
      if (packet.qos > 0 && !client.clean) {
        const firstSend = deps.redeliveries.mark(client.id, packet);
        if (firstSend && deps.backplane) deps.backplane.recordDelivered(client.id, firstSend);
      }
      return packet;
    },
  };
}
