/**
 * Several embedded-broker nodes behind one TCP load balancer, sharing one
 * Redis (REDIS_URL): mqemitter-redis carries every PUBLISH between the nodes;
 * aedes-persistence-redis keeps subscriptions, the queued QoS 1 messages of
 * persistent sessions, retained messages and wills where every node finds
 * them. See broker/README.md.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisPersistence } from 'aedes-persistence-redis';
import type { Redis, RedisOptions } from 'ioredis';
import { ServiceError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { LogThrottle } from '../core/logThrottle.ts';

/** A QoS 1 message queued for a persistent session that does not come back is dropped after a day. */
const QUEUED_MESSAGE_TTL_S = 24 * 3600;
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
const ERROR_LOG_INTERVAL_MS = 30_000;
/** Which QoS 1 messages a persistent session was already sent, so any node marks a resend DUP. */
const DELIVERED_PREFIX = 'sealwatch:delivered:';
export const DELIVERED_KEEP = 1024;
const DELIVERED_TTL_S = 7 * 24 * 3600;
/**
 * `sealwatch:session:<clientId>`: this client id holds a persistent session (for CONNACK's
 * Session Present, MQTT-3.2.2-2), refreshed at every CleanSession=0 CONNECT; forgotten after a
 * week without one (its queued messages are gone after 24 hours).
 */
const SESSION_PREFIX = 'sealwatch:session:';
const SESSION_TTL_S = 7 * 24 * 3600;

/**
 * The Aedes id of this process: unique per node and per start. Aedes numbers
 * its messages per id from 0 at every start and aedes-persistence-redis keys
 * queued messages by id and number, so an id reused after a restart would
 * overwrite messages still queued for offline sessions. Host name and pid
 * make it readable; the random part makes it unique (pid 1 in containers).
 * No `:` `/` `+` `#`: the id is part of Redis keys and `$SYS/<id>/…` topics.
 */
export function newNodeId(host = hostname(), pid = process.pid): string {
  const name = host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 48) || 'node';
  return `${name}-${pid}-${randomBytes(3).toString('hex')}`;
}

/** REDIS_URL without its password, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(REDIS_URL)';
  }
}

export interface RedisStats {
  /** Every Redis connection of this node is ready. */
  up: boolean;
  connectionLosses: number;
  /** Messages that could not be forwarded to other nodes or stored (retained, queued) while Redis failed. */
  forwardFailures: number;
}

export interface RedisBackplane {
  readonly nodeId: string;
  /** REDIS_URL, password hidden. */
  readonly shownUrl: string;
  /** The Aedes `mq` and `persistence` options. */
  readonly mq: unknown;
  readonly persistence: RedisPersistence;
  up(): boolean;
  stats(): RedisStats;
  /** Keys (`brokerId:brokerCounter`) of QoS 1 messages already sent to this persistent session, oldest first. */
  loadDelivered(clientId: string): Promise<string[]>;
  recordDelivered(clientId: string, key: string): void;
  /** At a CleanSession=0 CONNECT: marks the session held; resolves whether it already was (on any node). */
  openSession(clientId: string): Promise<boolean>;
  /** At a CleanSession=1 CONNECT: the client id's session ended (MQTT-3.1.2-6). */
  endSession(clientId: string): void;
  /** Runs `stopBroker` (which closes the message bus), then closes every Redis connection. */
  close(stopBroker: () => Promise<void>): Promise<void>;
}

interface MqEmitter {
  emit(message: { topic: string }, done?: (err?: Error) => void): void;
  state: { on(event: 'error', listener: (err: Error) => void): void };
}

/**
 * Connects to Redis (failing fast with an error naming REDIS_URL when it
 * cannot), and builds the message bus and the persistence on three
 * connections: commands, publish, subscribe. Afterwards a lost connection is
 * logged, counted and retried; publishing never fails a device's connection
 * because of Redis (the message is committed before it is forwarded).
 */
export async function openRedisBackplane(url: string, nodeId: string, log: Logger): Promise<RedisBackplane> {
  const shownUrl = redactRedisUrl(url);
  // Loaded only for a node that uses Redis: the three cost every other start ~0.1 s of CPU.
  const [{ Redis }, { default: mqemitterRedis }, { default: persistenceRedis }] = await Promise.all([
    import('ioredis'),
    import('mqemitter-redis'),
    import('aedes-persistence-redis'),
  ]);
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: `sealwatch-${nodeId}`,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A command waits for at most two reconnection attempts, then fails (and is counted) instead of
    // holding the device connection that caused it.
    maxRetriesPerRequest: 2,
  };
  const db = new Redis(url, options);
  const pub = new Redis(url, { ...options, enableAutoPipelining: true });
  const sub = new Redis(url, options);
  const connections = { db, pub, sub };
  const all = Object.values(connections);

  let closing = false;
  let starting = true;
  let down = false;
  const counters = { connectionLosses: 0, forwardFailures: 0 };
  const errorLog = new LogThrottle(ERROR_LOG_INTERVAL_MS);
  const failureLog = new LogThrottle(ERROR_LOG_INTERVAL_MS);
  const statuses = () => Object.fromEntries(Object.entries(connections).map(([k, c]) => [k, c.status]));
  const onStatus = () => {
    if (closing || starting) return;
    const up = all.every((c) => c.status === 'ready');
    if (!up && !down) {
      down = true;
      counters.connectionLosses++;
      log.error(
        { redis: shownUrl, connections: statuses() },
        'Redis connection lost: sessions, retained messages and forwarding between nodes wait for it; connected sensors are still ingested here',
      );
    } else if (up && down) {
      down = false;
      log.info({ redis: shownUrl }, 'Redis connection back');
    }
  };
  for (const conn of all) {
    for (const event of ['ready', 'close', 'reconnecting', 'end']) conn.on(event, onStatus);
    conn.on('error', (err: Error) => {
      if (closing || starting) return;
      errorLog.attempt((suppressed) =>
        log.warn({ redis: shownUrl, err: err.message, suppressed }, 'Redis error'),
      );
    });
  }

  try {
    await withTimeout(Promise.all(all.map(connectOnce)), CONNECT_TIMEOUT_MS + 5_000, 'no answer');
  } catch (err) {
    closing = true;
    for (const conn of all) conn.disconnect();
    throw new ServiceError(
      'unavailable',
      `REDIS_URL ${shownUrl} cannot be reached (${(err as Error).message}); the embedded broker shares sessions and messages with the other nodes through it: start Redis, or unset REDIS_URL to run a single node`,
      { variable: 'REDIS_URL' },
    );
  }
  starting = false;

  const failed = (what: string, topic: string, err: Error) => {
    if (closing) return;
    counters.forwardFailures++;
    failureLog.attempt((suppressed) =>
      log.warn(
        { redis: shownUrl, what, topic, err: err.message, suppressed },
        'message not shared through Redis',
      ),
    );
  };

  const mq = mqemitterRedis({ pubConn: pub, subConn: sub, concurrency: 100 }) as unknown as MqEmitter;
  mq.state.on('error', (err) => {
    if (!closing)
      errorLog.attempt((suppressed) => log.warn({ err: err.message, suppressed }, 'Redis bus error'));
  });
  // Aedes completes a PUBLISH only after the bus took it; a device's message is committed (and its
  // PUBACK sent) before that, so a Redis failure here is counted, not turned into a dropped connection.
  const emit = mq.emit.bind(mq);
  mq.emit = (message, done) =>
    emit(message, (err) => {
      if (err) failed('forward', message.topic, err);
      done?.();
    });

  const persistence = persistenceRedis({ conn: db, packetTTL: () => QUEUED_MESSAGE_TTL_S });
  const storeRetained = persistence.storeRetained.bind(persistence);
  persistence.storeRetained = (packet) =>
    storeRetained(packet).catch((err: Error) => failed('retained', topicOf(packet), err));
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  persistence.outgoingEnqueueCombi = (subs, packet) =>
    enqueue(subs, packet).catch((err: Error) => failed('queue', topicOf(packet), err));

  const deliveredKey = (clientId: string) => `${DELIVERED_PREFIX}${encodeURIComponent(clientId)}`;
  const sessionKey = (clientId: string) => `${SESSION_PREFIX}${encodeURIComponent(clientId)}`;

  return {
    nodeId,
    shownUrl,
    mq,
    persistence,
    up: () => all.every((c) => c.status === 'ready'),
    stats: () => ({ up: all.every((c) => c.status === 'ready'), ...counters }),
    async loadDelivered(clientId) {
      return (await db.lrange(deliveredKey(clientId), 0, DELIVERED_KEEP - 1)).reverse();
    },
    async openSession(clientId) {
      const key = sessionKey(clientId);
      const replies = await db.pipeline().exists(key).set(key, '1', 'EX', SESSION_TTL_S).exec();
      const [existsErr, exists] = replies?.[0] ?? [new Error('no reply')];
      if (existsErr) throw existsErr;
      return exists === 1;
    },
    endSession(clientId) {
      db.del(sessionKey(clientId)).catch((err: Error) => failed('session', clientId, err));
    },
    recordDelivered(clientId, key) {
      const listKey = deliveredKey(clientId);
      db.pipeline()
        .lpush(listKey, key)
        .ltrim(listKey, 0, DELIVERED_KEEP - 1)
        .expire(listKey, DELIVERED_TTL_S)
        .exec()
        .catch((err: Error) => failed('delivered', clientId, err));
    },
    async close(stopBroker) {
      closing = true;
      // With Redis down, quitting the bus and unsubscribing would wait for it: close without it.
      const reachable = all.every((c) => c.status === 'ready');
      const waitMs = reachable ? CLOSE_TIMEOUT_MS : 1_000;
      await withTimeout(stopBroker(), waitMs, 'broker close').catch((err: Error) => {
        if (reachable) log.warn({ err: err.message }, 'closing the broker on Redis took too long');
      });
      if (reachable) {
        await withTimeout(persistence.destroy(), waitMs, 'persistence close').catch((err: Error) =>
          log.warn({ err: err.message }, 'closing the Redis persistence failed'),
        );
      }
      for (const conn of all) conn.disconnect();
    },
  };
}

/** `connect()` rejects with "Connection is closed."; the first `error` event says why. */
function connectOnce(conn: Redis): Promise<void> {
  let first: Error | null = null;
  const onError = (err: Error) => {
    first ??= err;
  };
  conn.on('error', onError);
  return conn.connect().then(
    () => {
      conn.off('error', onError);
    },
    (err: Error) => {
      conn.off('error', onError);
      throw first ?? err;
    },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function topicOf(packet: unknown): string {
  return String((packet as { topic?: unknown }).topic ?? '');
}

/**
 * The node each client id connected to last, as every node announces on
 * `$SYS/<node>/new/clients`. A will whose session lived on another node than
 * that was superseded: the device is connected again elsewhere.
 */
export class ConnectionLedger {
  private readonly lastNode = new Map<string, string>();

  constructor(private readonly max = 500_000) {}

  connected(clientId: string, nodeId: string): void {
    this.lastNode.delete(clientId);
    this.lastNode.set(clientId, nodeId);
    if (this.lastNode.size > this.max) this.lastNode.delete(this.lastNode.keys().next().value as string);
  }

  nodeOf(clientId: string): string | undefined {
    return this.lastNode.get(clientId);
  }

  /** The session of `clientId` on `sessionNode` was followed by a connection on another node. */
  superseded(clientId: string, sessionNode: string): boolean {
    const last = this.lastNode.get(clientId);
    return last !== undefined && last !== sessionNode;
  }
}

/**
 * Whether Aedes is about to publish a will that would wrongly mark a
 * connected device offline (and overwrite its retained `online`):
 * - `taken_over`: the will of a connection here that this node closed
 *   because the same client id connected to another node;
 * - `orphaned`: a will another node stored for a session there, published
 *   here because that node stopped (Aedes does so after three missed
 *   heartbeats), while the device has since connected elsewhere.
 */
export function staleWill(
  nodeId: string,
  ledger: ConnectionLedger,
  will: {
    /** Who stored it, for which client id (aedesInternals.ts `storedWillOrigin`); null: not stored. */
    stored: { brokerId: string; clientId: string | undefined } | null;
    /** The client Aedes publishes it for: a connection here, or null. */
    client: { id: string } | null;
    /** It is the will of `client`, whose connection here has closed. */
    ofClosedConnection: boolean;
  },
): 'taken_over' | 'orphaned' | null {
  const { stored, client } = will;
  if (stored && stored.brokerId !== nodeId) {
    const clientId = stored.clientId ?? client?.id;
    return clientId !== undefined && ledger.superseded(clientId, stored.brokerId) ? 'orphaned' : null;
  }
  if (!will.ofClosedConnection || !client) return null;
  return ledger.superseded(client.id, nodeId) ? 'taken_over' : null;
}
