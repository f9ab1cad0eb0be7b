import type { AedesOptions, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { canPublish } from '../acl.ts';
import { storedWillOrigin, willTopicOf } from '../aedesInternals.ts';
import { type ConnectionLedger, staleWill } from '../cluster.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import type { Identity } from '../identity.ts';
import type { NewestConnections } from '../newestConnections.ts';
import type { RetainedOrder } from '../retainedOrder.ts';
import { topicProblem } from '../topicValidation.ts';
import { VerdictWaiters } from '../verdictWaiters.ts';

/** What ingest answers for a device's message. */
export type PublishVerdict =
  | { accepted: true }
  /** Dropped (bad payload, unknown sensor): acknowledged so the device does not resend poison forever. */
  | { accepted: false; reason: string; disconnect: boolean };

/**
 * Called for every device PUBLISH (and will). It resolves once the message is
 * durably accepted or dropped; the QoS 1 PUBACK waits for it.
 */
export type PublishHandler = (
  identity: Identity | null,
  topic: string,
  payload: Buffer,
) => Promise<PublishVerdict>;

export interface PublishHookDeps {
  onPublish: PublishHandler;
  identities: WeakMap<Client, Identity>;
  accounting: ConnectionAccounting;
  retainedOrder: RetainedOrder;
  /** The newest logged-in connection per client id on this node (filled by the connect hook). */
  newestConnections: NewestConnections;
  /** With REDIS_URL: this node's Aedes id and where each client id connected last. */
  cluster: { nodeId: string; ledger: ConnectionLedger } | null;
}

const REJECTED_PREFIX = '$rejected/';

/**
 * PUBLISH (Aedes' lib/handlers/publish.js) and wills (lib/client.js `close`, aedes.js
 * `_clearWills`): topic checks, stale wills, ACL, then ingest, whose verdict Aedes' PUBACK waits
 * for. `afterPublish` is for Aedes' 'publish' event: the message is stored and forwarded.
 */
export function publishHooks(deps: PublishHookDeps): Required<Pick<AedesOptions, 'authorizePublish'>> & {
  afterPublish(packet: AedesPublishPacket, client: Client | null): void;
} {
  const { accounting, retainedOrder } = deps;
  const verdicts = new VerdictWaiters<PublishVerdict, PublishPacket>((verdict, packet, done) => {
    if (verdict.accepted) return done(null);
    accounting.refused(verdict.reason);
    if (verdict.disconnect) return done(new Error(`refused: ${verdict.reason}`));
    quarantinePacket(packet, verdict.reason);
    done(null);
  });
  return {
    authorizePublish(client, packet, done) {
      if (client && packet.retain && !client.closed) done = retainedOrder.track(client, packet, done);
      const problem = topicProblem(packet.topic);
      if (problem) {
        accounting.refused('bad_topic');
        return done(new Error(problem));
      }
      const identity = client ? deps.identities.get(client) : undefined;
      if (client && !identity) return done(new Error('not authenticated'));
      // Read now: Aedes clears a closing connection's will once this hook returns.
      const ownWill = client ? client.closed && willTopicOf(client) === packet.topic : false;
      if (client && ownWill && deps.newestConnections.hasNewerThan(client)) {
        // A takeover (MQTT-3.1.4-2): the server closes the old connection without DISCONNECT, so
        // Aedes publishes its will (MQTT-3.1.2-8). Refused: the device is alive on its new
        // connection, and the will's retained `offline` would mark a connected seal offline.
        accounting.refused('stale_will');
        return done(new Error('will of a taken-over session'));
      }
      const stale = deps.cluster ? staleWillInCluster(deps.cluster, client, packet, ownWill) : null;
      if (stale === 'taken_over') {
        accounting.refused('stale_will');
        return done(new Error('will of a session taken over on another node'));
      }
      if (stale === 'orphaned') {
        // Accepted but diverted, so that Aedes deletes it from Redis instead of retrying it forever.
        accounting.refused('stale_will');
        quarantinePacket(packet, 'stale_will');
        return done(null);
      }
      if (identity && !canPublish(identity, packet.topic)) {
        accounting.refused('acl');
        return done(new Error(`not allowed to publish to ${packet.topic}`));
      }
      if (identity?.kind === 'service') return done(null);
      verdicts.wait(deps.onPublish(identity ?? null, packet.topic, packet.payload as Buffer), packet, done);
    },

    afterPublish(packet, client) {
      if (client && packet.retain) retainedOrder.settle(client, packet);
    },
  };
}

function staleWillInCluster(
  cluster: { nodeId: string; ledger: ConnectionLedger },
  client: Client | null,
  packet: PublishPacket,
  ownWill: boolean,
): 'taken_over' | 'orphaned' | null {
  const stored = storedWillOrigin(packet);
  // Neither a stored will nor a closing connection's: a live PUBLISH (no allocation on this path).
  if (!stored && !ownWill) return null;
  return staleWill(cluster.nodeId, cluster.ledger, { stored, client, ofClosedConnection: ownWill });
}

/**
 * A dropped message is still acknowledged (so the device does not resend it
 * forever) but must not reach subscribers: it is moved under `$rejected/`,
 * which `#` subscriptions never match (MQTT-4.7.2-1), and never retained.
 */
function quarantinePacket(packet: PublishPacket, reason: string): void {
  packet.topic = `${REJECTED_PREFIX}${reason}/${packet.topic}`;
  packet.retain = false;
}
