import type { EventEmitter } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { atTime, type Clock, systemClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { canPublish, canSubscribe } from './acl.ts';
import {
  capQueuedQos,
  DeliveredQosCap,
  matchEmptyLevelsInRetained,
  reportSessionPresent,
  SESSION_MARKER,
  SessionLedger,
} from './aedesPatches.ts';
import type { Authenticator } from './authenticator.ts';
import { ConnectionLedger, newNodeId, openRedisBackplane, type RedisStats, staleWill } from './cluster.ts';
import type { Identity } from './identity.ts';
import { type GuardViolation, PacketGuard } from './packetGuard.ts';
import { RetainedOrder } from './retainedOrder.ts';
import { filterProblem, topicProblem } from './topicValidation.ts';

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

export interface BrokerStats {
  connected: number;
  connectionsOpened: number;
  refused: Record<string, number>;
  closed: Record<string, number>;
  /** With REDIS_URL only. */
  redis?: RedisStats;
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
  close(): Promise<void>;
}

const REJECTED_PREFIX = '$rejected/';

/**
 * The embedded Aedes broker with SealWatch's policy: authentication, ACL,
 * packet guard, topic validation, connection accounting, and the publish
 * hook that makes PUBACK wait for durable acceptance.
 */
export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  const log = opts.logger;
  const identities = new WeakMap<Client, Identity>();
  const guards = new WeakMap<Client, PacketGuard>();
  const closeReason = new WeakMap<Client, string>();
  const expiryTimers = new WeakMap<Client, () => void>();
  const clock = opts.clock ?? systemClock;
  /** From CONNECT received (preConnect) to CONNACK sent or the connection closed; O(1) either way. */
  const connecting = new Set<Client>();
  const stats: BrokerStats = { connected: 0, connectionsOpened: 0, refused: {}, closed: {} };
  const count = (bucket: Record<string, number>, reason: string) => {
    bucket[reason] = (bucket[reason] ?? 0) + 1;
  };
  const trustedSize = opts.maxTrustedPacketSize ?? 256 * 1024;
  const redeliveries = new RedeliveryMarker();
  const backplane = opts.redisUrl ? await openRedisBackplane(opts.redisUrl, newNodeId(), log) : null;
  const ledger = backplane ? new ConnectionLedger() : null;
  const sessions = new SessionLedger();
  /** CONNECTs with an empty client id and CleanSession=0, refused at authenticate (MQTT-3.1.3-8). */
  const emptyPersistentId = new WeakSet<Client>();
  const retainedOrder = new RetainedOrder();

  const aedes = new Aedes({
    ...(backplane ? { id: backplane.nodeId, mq: backplane.mq, persistence: backplane.persistence } : {}),
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    // A client that stops reading must not stall delivery to everyone else.
    drainTimeout: 10_000,
    maxClientsIdLength: 64,

    preConnect(client, packet, done) {
      // MQTT-3.1.3-10, MQTT-4.7.3-1, MQTT-1.5.3-2: Aedes takes any will topic, even "" or one with NUL.
      const willProblem = packet.will ? topicProblem(packet.will.topic) : null;
      if (willProblem) {
        count(stats.refused, 'bad_will_topic');
        return done(new Error(`will topic refused: ${willProblem}`), false);
      }
      // Aedes would make up an id; the CONNACK must say 2 (MQTT-3.1.3-8), so refused at authenticate.
      if (packet.clientId.length === 0 && !packet.clean) emptyPersistentId.add(client);
      connecting.add(client);
      done(null, true);
    },

    authenticate(client, username, password, done) {
      const guard = guards.get(client);
      const address = guard?.remoteAddress ?? 'unknown';
      if (emptyPersistentId.has(client)) {
        count(stats.refused, 'empty_client_id');
        closeReason.set(client, 'empty_client_id');
        const err = Object.assign(new Error('empty client id with CleanSession=0'), {
          returnCode: 2 as const,
        });
        return done(err, false);
      }
      opts.authenticator.authenticate(client.id, username, password, address).then(
        (outcome) => {
          if (!outcome.ok) {
            count(stats.refused, `auth_${outcome.reason}`);
            closeReason.set(client, `auth_${outcome.reason}`);
            log.info(
              { clientId: client.id, username: username ?? null, address, reason: outcome.reason },
              'mqtt login refused',
            );
            const returnCode =
              outcome.reason === 'client_id_mismatch' ? 2 : outcome.reason === 'throttled' ? 3 : 4;
            const err = Object.assign(new Error(`login refused: ${outcome.reason}`), { returnCode });
            return done(err as Error & { returnCode: 2 | 3 | 4 }, false);
          }
          identities.set(client, outcome.identity);
          if (outcome.identity.kind !== 'sensor') guard?.setMaxPacketSize(trustedSize);
          if (!backplane) {
            sessions.connected(client.id, client.clean);
            return done(null, true);
          }
          if (client.clean) {
            sessions.connected(client.id, true);
            backplane.endSession(client.id);
            return done(null, true);
          }
          // A persistent session may have been opened, and sent messages, by another node (or an earlier start).
          const redisFailed = (what: string) => (err: Error) => {
            log.warn({ clientId: client.id, err: err.message }, `could not read ${what} from Redis`);
            return null;
          };
          void Promise.all([
            backplane.loadDelivered(client.id).catch(redisFailed('delivered messages')),
            backplane.openSession(client.id).catch(redisFailed('the session marker')),
          ]).then(([keys, held]) => {
            if (keys) redeliveries.merge(client.id, keys);
            sessions.connected(client.id, false, held ?? undefined);
            done(null, true);
          });
        },
        (err: Error) => {
          log.error({ err, clientId: client.id }, 'mqtt authentication failed');
          done(Object.assign(err, { returnCode: 3 as const }), false);
        },
      );
    },

    authorizePublish(client, packet, done) {
      if (client && packet.retain && !client.closed) done = retainedOrder.track(client, packet, done);
      const problem = topicProblem(packet.topic);
      if (problem) {
        count(stats.refused, 'bad_topic');
        return done(new Error(problem));
      }
      const identity = client ? identities.get(client) : undefined;
      if (client && !identity) return done(new Error('not authenticated'));
      if (client && isTakenOverWill(aedes, client, packet)) {
        // Aedes publishes the will of a session that a reconnect of the same
        // client id took over; it would mark a connected seal offline.
        count(stats.refused, 'stale_will');
        return done(new Error('will of a taken-over session'));
      }
      const stale = ledger ? staleWill(aedes.id, ledger, client, packet) : null;
      if (stale === 'taken_over') {
        count(stats.refused, 'stale_will');
        return done(new Error('will of a session taken over on another node'));
      }
      if (stale === 'orphaned') {
        // Accepted but diverted, so that Aedes deletes it from Redis instead of retrying it forever.
        count(stats.refused, 'stale_will');
        quarantinePacket(packet, 'stale_will');
        return done(null);
      }
      if (identity && !canPublish(identity, packet.topic)) {
        count(stats.refused, 'acl');
        return done(new Error(`not allowed to publish to ${packet.topic}`));
      }
      if (identity?.kind === 'service') return done(null);
      opts.onPublish(identity ?? null, packet.topic, packet.payload as Buffer).then(
        (verdict) => {
          if (verdict.accepted) return done(null);
          count(stats.refused, verdict.reason);
          if (verdict.disconnect) return done(new Error(`refused: ${verdict.reason}`));
          quarantinePacket(packet, verdict.reason);
          done(null);
        },
        (err: Error) => done(err),
      );
    },

    // A refused filter is answered 0x80 in the SUBACK (done(null, null)), the connection stays
    // (MQTT-3.8.4-1, 3.9.3); an error would make Aedes close it.
    authorizeSubscribe(client, subscription, done) {
      if (subscription.topic === SESSION_MARKER) return done(null, null);
      retainedOrder.after(client, subscription.topic, () => {
        if (filterProblem(subscription.topic)) {
          count(stats.refused, 'bad_topic_filter');
          return done(null, null);
        }
        const identity = identities.get(client);
        if (!identity || !canSubscribe(identity, subscription.topic, opts.sensorIdForTopic)) {
          count(stats.refused, 'acl_subscribe');
          return done(null, null);
        }
        done(null, subscription);
      });
    },

    authorizeForward(client, packet) {
      const identity = identities.get(client);
      if (identity?.kind === 'service' && !opts.mayRead(identity, packet.topic)) return null;
      capQueuedQos(client, packet);
      if (packet.qos > 0 && !client.clean) {
        const firstSend = redeliveries.mark(client.id, packet);
        if (firstSend && backplane) backplane.recordDelivered(client.id, firstSend);
      }
      return packet;
    },
  });
  const qosCap = new DeliveredQosCap(aedes);
  aedes.on('publish', (packet, client) => {
    if (client && packet.retain) retainedOrder.settle(client, packet);
  });
  // Without a listener an 'error' (a persistence failure) would end the process.
  (aedes as EventEmitter).on('error', (err: Error) => log.error({ err: err.message }, 'mqtt broker error'));
  if (ledger) {
    // Registered before Aedes' own listener on the same topic, which closes the local connection of
    // a client id that connected to another node: the ledger knows before that connection's will.
    aedes.on('client', (client) => ledger.connected(client.id, aedes.id));
    aedes.subscribe(
      '$SYS/+/new/clients',
      (packet, done) => {
        const node = packet.topic.split('/')[1];
        if (node) ledger.connected(packet.payload.toString(), node);
        done();
      },
      () => undefined,
    );
  }
  const closeAedes = () => new Promise<void>((resolve) => aedes.close(() => resolve()));
  try {
    await aedes.listen();
  } catch (err) {
    if (backplane) await backplane.close(closeAedes);
    throw err;
  }

  // Aedes sets up its persistence in listen(); patched here, before any listener accepts a client.
  const persistence = (
    aedes as unknown as {
      persistence: Parameters<typeof reportSessionPresent>[0] &
        Parameters<typeof matchEmptyLevelsInRetained>[0];
    }
  ).persistence;
  if (!backplane) matchEmptyLevelsInRetained(persistence);
  reportSessionPresent(persistence, (clientId) => sessions.resumes(clientId));

  aedes.on('connackSent', (_packet, client) => connecting.delete(client));
  aedes.on('clientReady', (client) => {
    stats.connected++;
    const identity = identities.get(client);
    log.debug({ clientId: client.id, kind: identity?.kind }, 'mqtt client connected');
    // An expired token is refused at CONNECT; a session it opened before ends when it expires.
    if (identity?.kind === 'service' && identity.expiresAt !== null) {
      const cancel = atTime(clock, identity.expiresAt, () => {
        closeReason.set(client, 'token_expired');
        client.close();
      });
      expiryTimers.set(client, cancel);
    }
  });
  aedes.on('clientDisconnect', (client) => {
    expiryTimers.get(client)?.();
    stats.connected--;
    count(
      stats.closed,
      closeReason.get(client) ?? (isCleanDisconnect(client) ? 'client_disconnect' : 'connection_lost'),
    );
  });
  aedes.on('keepaliveTimeout', (client) => closeReason.set(client, 'keepalive_timeout'));
  aedes.on('clientError', (client, err) => {
    if (!closeReason.has(client)) closeReason.set(client, 'client_error');
    log.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
  });
  aedes.on('connectionError', (client, err) => {
    count(stats.closed, closeReason.get(client) ?? 'connection_error');
    log.debug({ err: err.message }, 'mqtt connection error before CONNECT completed');
  });

  /** Every listener hands its connections here: guard, then Aedes. */
  const accept = (stream: Duplex, address: string | undefined) => {
    stats.connectionsOpened++;
    const guard = new PacketGuard(stream, address, opts.maxPacketSize, (violation: GuardViolation) => {
      count(stats.refused, violation);
      count(stats.closed, violation);
      log.debug({ address, violation }, 'mqtt connection closed by packet guard');
    });
    const client = aedes.handle(guard);
    qosCap.wrap(client);
    guards.set(client, guard);
    guard.once('close', () => {
      connecting.delete(client);
      retainedOrder.closed(client);
    });
  };
  const onSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    accept(socket, socket.remoteAddress);
  };

  const servers: Array<{ close(cb?: () => void): unknown }> = [];
  const server: Server = createServer(onSocket);
  const port = await listen(server, opts.port, opts.host);
  servers.push(server);
  log.info(
    {
      port,
      host: opts.host,
      maxPacketSize: opts.maxPacketSize,
      ...(backplane ? { nodeId: aedes.id, redis: backplane.shownUrl } : {}),
    },
    backplane ? 'mqtt broker listening, sharing sessions through Redis' : 'mqtt broker listening',
  );

  let tlsPort: number | null = null;
  if (opts.tls) {
    const tlsServer = createTlsServer(
      { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' },
      onSocket,
    );
    tlsServer.on('tlsClientError', () => count(stats.refused, 'tls_handshake'));
    tlsPort = await listen(tlsServer, opts.tls.port, opts.host);
    servers.push(tlsServer);
    log.info({ port: tlsPort }, 'mqtt over TLS listening');
  }

  let wsPort: number | null = null;
  if (opts.wsPort !== undefined) {
    const http = createHttpServer((_req, res) =>
      res.writeHead(426).end('MQTT over WebSocket: connect to /mqtt'),
    );
    const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload: trustedSize });
    wss.on('connection', (ws, req) => accept(createWebSocketStream(ws), req.socket.remoteAddress));
    wsPort = await listen(http, opts.wsPort, opts.host);
    servers.push(wss, http);
    log.info({ port: wsPort }, 'mqtt over WebSocket listening on /mqtt');
  }

  return {
    aedes,
    nodeId: aedes.id,
    port,
    tlsPort,
    wsPort,
    stats: () => (backplane ? { ...stats, redis: backplane.stats() } : stats),
    pendingConnects: () => connecting.size,
    healthy: () => backplane?.up() ?? true,
    closeServiceSessions(tokenId) {
      let n = 0;
      for (const client of connectedClients(aedes)) {
        const identity = identities.get(client);
        if (identity?.kind !== 'service' || identity.tokenId !== tokenId) continue;
        closeReason.set(client, 'token_revoked');
        client.close();
        n++;
      }
      if (n > 0) log.info({ tokenId, sessions: n }, 'mqtt sessions of a revoked token closed');
      return n;
    },
    close: async () => {
      for (const s of servers) s.close();
      if (backplane) await backplane.close(closeAedes);
      else await closeAedes();
    },
  };
}

/**
 * Connections the kernel may hold before we accept them (capped by net.core.somaxconn). Node's
 * default, 511, is overrun when a restarted fleet's SYNs all arrive in the same second; a dropped
 * SYN costs that device a retransmission a second or more later.
 */
const LISTEN_BACKLOG = 4096;

function listen(
  server: { listen: Server['listen']; once: Server['once']; off: Server['off']; address: Server['address'] },
  port: number,
  host: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function isTakenOverWill(aedes: Aedes, client: Client, packet: PublishPacket): boolean {
  const will = (client as unknown as { will?: { topic: string } | null }).will;
  if (!will || will.topic !== packet.topic || !client.closed) return false;
  const current = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[client.id];
  return current !== undefined && current !== client;
}

/** Aedes keeps its connected clients by client id, but does not type the map. */
function connectedClients(aedes: Aedes): Client[] {
  const clients = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
  return Object.values(clients).filter((c): c is Client => c !== undefined);
}

function isCleanDisconnect(client: Client): boolean {
  return (client as unknown as { _disconnected?: boolean })._disconnected === true;
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

/**
 * Aedes resends a persistent session's unacknowledged QoS 1 messages after a
 * reconnect with DUP = 0; MQTT-3.3.1-1 wants DUP = 1 on a redelivery. A
 * message forwarded to the same client id a second time is a redelivery.
 * With REDIS_URL the keys are also kept in Redis (merged in at CONNECT), so
 * the resend is marked on whichever node the session comes back to.
 */
class RedeliveryMarker {
  private readonly seen = new Map<string, Set<string>>();
  private static readonly PER_CLIENT = 1024;

  /** Sets DUP on a resend; returns the message's key on its first send, null on a resend. */
  mark(
    clientId: string,
    packet: { brokerId?: string; brokerCounter?: number; dup?: boolean },
  ): string | null {
    const key = `${packet.brokerId}:${packet.brokerCounter}`;
    const keys = this.keysOf(clientId);
    if (keys.has(key)) {
      packet.dup = true;
      return null;
    }
    this.add(keys, key);
    return key;
  }

  /** Keys sent to this client id elsewhere, oldest first. */
  merge(clientId: string, sent: readonly string[]): void {
    const keys = this.keysOf(clientId);
    for (const key of sent) this.add(keys, key);
  }

  private keysOf(clientId: string): Set<string> {
    let keys = this.seen.get(clientId);
    if (!keys) {
      keys = new Set();
      this.seen.set(clientId, keys);
    }
    return keys;
  }

  private add(keys: Set<string>, key: string): void {
    keys.add(key);
    if (keys.size > RedeliveryMarker.PER_CLIENT) keys.delete(keys.values().next().value as string);
  }
}
