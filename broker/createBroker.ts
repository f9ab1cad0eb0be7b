import type { EventEmitter } from 'node:events';
import type { Aedes, Client } from 'aedes';
import { type Clock, systemClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import {
  aedesPatchApplied,
  assertAedesVersion,
  connectedClient,
  connectedClients,
  persistenceOf,
} from './aedesInternals.ts';
import {
  DeliveredQosCap,
  matchEmptyLevelsInRetained,
  reportSessionPresent,
  SessionLedger,
} from './aedesPatches.ts';
import type { Authenticator } from './authenticator.ts';
import { ConnectionLedger, newNodeId, openRedisBackplane } from './cluster.ts';
import { type BrokerStats, ConnectionAccounting } from './connectionAccounting.ts';
import { DeviceSessions } from './deviceSessions.ts';
import { acceptConnections } from './hooks/accept.ts';
import { followClientsAcrossNodes } from './hooks/clusterConnections.ts';
import { connectHooks } from './hooks/connect.ts';
import { watchConnections } from './hooks/connectionEvents.ts';
import { forwardHook } from './hooks/forward.ts';
import { type PublishHandler, publishHooks } from './hooks/publish.ts';
import { subscribeHook } from './hooks/subscribe.ts';
import type { Identity } from './identity.ts';
import { shareKeptPayloads } from './keptPayloads.ts';
import { openListeners } from './listeners.ts';
import { NewestConnections } from './newestConnections.ts';
import { skipOfflineLookupUntilSubscribed } from './offlineLookup.ts';
import { trackOutgoingQueues } from './outgoingQueues.ts';
import { writePubacksInOneBuffer } from './pubackWriter.ts';
import { quietDisabledDebugLoggers } from './quietDebugLoggers.ts';
import { RedeliveryMarker } from './redeliveryMarker.ts';
import { RetainedOrder } from './retainedOrder.ts';
import { ServiceSessions } from './serviceSessions.ts';

export type { BrokerStats } from './connectionAccounting.ts';
export type { PublishHandler, PublishVerdict } from './hooks/publish.ts';

export interface BrokerOptions {
  port: number;
  host: string;
  maxPacketSize: number;
  /** Larger limit for gateways and service clients (Zigbee2MQTT bridge messages, config). */
  maxTrustedPacketSize?: number;
  connectTimeoutMs?: number;
  /** An MQTT over TLS listener (8883 by convention) with this certificate. */
  tls?: { port: number; cert: Buffer; key: Buffer };
  /** An MQTT over WebSocket listener (path /mqtt), for browsers and some gateways. */
  wsPort?: number;
  authenticator: Authenticator;
  onPublish: PublishHandler;
  /** Whether a scoped service client may receive a message on this topic. */
  mayRead(identity: Identity, topic: string): boolean;
  /** Which registered sensor a dialect topic names (a Shelly's command topic names its device id). */
  sensorIdForTopic?: (topic: string) => string | undefined;
  /**
   * REDIS_URL: share sessions, retained messages, wills and forwarding with the
   * other nodes on this Redis (see broker/README.md). Unset: one node, in memory.
   */
  redisUrl?: string;
  /** For service sessions whose token expires (default: the system clock). */
  clock?: Clock;
  logger: Logger;
}

export interface Broker {
  readonly aedes: Aedes;
  /** The Aedes id: unique per node and per start. */
  readonly nodeId: string;
  readonly port: number;
  readonly tlsPort: number | null;
  readonly wsPort: number | null;
  stats(): BrokerStats;
  /**
   * CONNECTs received whose CONNACK is not sent yet (authentication and session set-up under way).
   * A count that keeps climbing means logins arrive faster than the broker lets them in.
   */
  pendingConnects(): number;
  /** False while a Redis connection is down (always true without REDIS_URL). */
  healthy(): boolean;
  /**
   * Closes this node's connections of service clients logged in with this API token (revoked);
   * returns how many. Other nodes close theirs when the revocation reaches them.
   */
  closeServiceSessions(tokenId: string): number;
  /** Closes this node's session of a sensor or gateway removed or given a new secret; returns how many. */
  closeDeviceSessions(id: string, reason: 'device_removed' | 'secret_replaced'): number;
  /** A gateway's live session publishes for this sensor list from now on. */
  updateGatewaySensors(id: string, sensorIds: readonly string[]): number;
  close(): Promise<void>;
}

/**
 * The embedded Aedes broker with SealWatch's policy, assembled from one hook per packet type
 * (hooks/: connect, publish, subscribe, forward), as Aedes organises its handlers: authentication,
 * ACL, packet guard, topic validation, connection accounting, and the publish hook that makes
 * PUBACK wait for durable acceptance. Aedes' internals are reached only through aedesInternals.ts.
 */
export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  assertAedesVersion();
  // Aedes is imported here, not at the top, so that its mqtt-packet loads after this.
  quietDisabledDebugLoggers();
  writePubacksInOneBuffer();
  const { Aedes: AedesBroker } = await import('aedes');
  const log = opts.logger;
  const trustedPacketSize = opts.maxTrustedPacketSize ?? 256 * 1024;
  /** Per connection: who logged in (set at CONNECT). */
  const identities = new WeakMap<Client, Identity>();
  const accounting = new ConnectionAccounting();
  const sessions = new SessionLedger();
  const redeliveries = new RedeliveryMarker();
  const retainedOrder = new RetainedOrder();
  const qosCap = new DeliveredQosCap();
  const newestConnections = new NewestConnections();
  const backplane = opts.redisUrl ? await openRedisBackplane(opts.redisUrl, newNodeId(), log) : null;
  const ledger = backplane ? new ConnectionLedger() : null;

  const publish = publishHooks({
    onPublish: opts.onPublish,
    identities,
    accounting,
    retainedOrder,
    newestConnections,
    cluster: backplane && ledger ? { nodeId: backplane.nodeId, ledger } : null,
  });
  const aedes = new AedesBroker({
    ...(backplane ? { id: backplane.nodeId, mq: backplane.mq, persistence: backplane.persistence } : {}),
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    // A client that stops reading must not stall delivery to everyone else.
    drainTimeout: 10_000,
    maxClientsIdLength: 64,
    ...connectHooks({
      authenticator: opts.authenticator,
      identities,
      accounting,
      newestConnections,
      sessions,
      redeliveries,
      backplane,
      trustedPacketSize,
      log,
    }),
    authorizePublish: publish.authorizePublish,
    ...subscribeHook({
      identities,
      accounting,
      retainedOrder,
      qosCap,
      sensorIdForTopic: opts.sensorIdForTopic,
    }),
    ...forwardHook({ identities, mayRead: opts.mayRead, qosCap, redeliveries, backplane }),
  });
  qosCap.countSubscriptions(aedes);
  aedes.on('publish', publish.afterPublish);
  // Without a listener an 'error' (a persistence failure) would end the process.
  (aedes as EventEmitter).on('error', (err: Error) => log.error({ err: err.message }, 'mqtt broker error'));
  if (ledger) followClientsAcrossNodes(aedes, ledger);

  const closeAedes = () => new Promise<void>((resolve) => aedes.close(() => resolve()));
  const closeBroker = async () => {
    if (backplane) await backplane.close(closeAedes);
    else await closeAedes();
  };
  try {
    await aedes.listen();
  } catch (err) {
    if (backplane) await backplane.close(closeAedes);
    throw err;
  }

  // Aedes sets up its persistence in listen(); patched here, before any listener accepts a client.
  const persistence = persistenceOf(aedes);
  const patched = aedesPatchApplied();
  if (!patched)
    log.warn(
      'node_modules/aedes lacks patches/aedes+1.2.0.patch (run npm ci): every login builds a stream pipeline for its empty queue, every QoS 1 message builds an object and three promises around an offline-queue lookup it skips, and every connection keeps about 1.7 KB more memory',
    );
  let offlineLookup: ReturnType<typeof skipOfflineLookupUntilSubscribed> | null = null;
  if (!backplane) {
    matchEmptyLevelsInRetained(persistence);
    offlineLookup = skipOfflineLookupUntilSubscribed(persistence);
    shareKeptPayloads(persistence);
    if (patched) trackOutgoingQueues(persistence);
  }
  reportSessionPresent(persistence, (clientId) => sessions.resumes(clientId));

  const serviceSessions = new ServiceSessions({
    clock: opts.clock ?? systemClock,
    accounting,
    identities,
    connectedClients: () => connectedClients(aedes),
    log,
  });
  watchConnections(aedes, { accounting, identities, serviceSessions, log });
  const deviceSessions = new DeviceSessions({
    accounting,
    identities,
    connectedClient: (clientId) => connectedClient(aedes, clientId),
    log,
  });

  const accept = acceptConnections({
    aedes,
    maxPacketSize: opts.maxPacketSize,
    accounting,
    retainedOrder,
    newestConnections,
    log,
  });
  const listeners = await openListeners(
    { port: opts.port, host: opts.host, tls: opts.tls, wsPort: opts.wsPort, maxWsPayload: trustedPacketSize },
    accept,
    accounting,
    log,
  ).catch(async (err: unknown) => {
    await closeBroker();
    throw err;
  });
  log.info(
    {
      port: listeners.port,
      host: opts.host,
      maxPacketSize: opts.maxPacketSize,
      ...(backplane ? { nodeId: aedes.id, redis: backplane.shownUrl } : {}),
    },
    backplane ? 'mqtt broker listening, sharing sessions through Redis' : 'mqtt broker listening',
  );

  return {
    aedes,
    nodeId: aedes.id,
    port: listeners.port,
    tlsPort: listeners.tlsPort,
    wsPort: listeners.wsPort,
    stats: () =>
      backplane
        ? { ...accounting.stats, redis: backplane.stats() }
        : { ...accounting.stats, offlineLookupsSkipped: offlineLookup?.lookupsSkipped() ?? 0 },
    pendingConnects: () => accounting.pendingConnects(),
    healthy: () => backplane?.up() ?? true,
    closeServiceSessions: (tokenId) => serviceSessions.closeToken(tokenId),
    closeDeviceSessions: (id, reason) => {
      opts.authenticator.forget(id);
      return deviceSessions.close(id, reason);
    },
    updateGatewaySensors: (id, sensorIds) => deviceSessions.updateGatewaySensors(id, sensorIds),
    close: async () => {
      listeners.close();
      await closeBroker();
    },
  };
}
