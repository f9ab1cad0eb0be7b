import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadOrCreateAckKey } from '../alerting/engine/ackKey.ts';
import { createAlerting } from '../alerting/engine/createAlerting.ts';
import { COMMISSIONING_MS } from '../alerting/rules/commissioning.ts';
import { buildApi } from '../api/app.ts';
import { EventStream } from '../api/live/eventStream.ts';
import { connectLiveFeed } from '../api/live/liveFeed.ts';
import { createMetrics } from '../api/metrics.ts';
import { Authenticator } from '../broker/authenticator.ts';
import { type Broker, createBroker } from '../broker/createBroker.ts';
import { type ExternalConsumer, redactUrl } from '../broker/external/consumer.ts';
import { LoginThrottle } from '../broker/loginThrottle.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import { EventBus } from '../core/eventBus.ts';
import type { ServiceEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { sensorIdForTopic } from '../ingest/decoders/index.ts';
import { IngestPipeline } from '../ingest/ingestPipeline.ts';
import { createMessageHandler } from '../ingest/messageHandler.ts';
import { createTelemetrySink } from '../ingest/telemetry/createTelemetrySink.ts';
import { Registry } from '../registry/registry.ts';
import { scheduleRetentionPurge } from '../registry/retentionSchedule.ts';
import { holdOwnSession, type SessionClaim } from '../storage/postgres/consumerSessions.ts';
import { ensureAdminToken } from './adminToken.ts';
import {
  brokerHooksFor,
  externalClientId,
  externalConsumer,
  registryCredentials,
  startExternalIngest,
} from './externalBroker.ts';
import { createEngineFeed, type MultiInstance, startMultiInstance } from './multiInstance.ts';
import { sealCounts } from './sealCounts.ts';
import { startSessionRescue } from './sessionRescue.ts';
import { openLocalDatabase, openSharedDatabase, type Stores } from './stores.ts';

export const VERSION = '0.1.0';

/** How often a follower tries to take over alerting, and the owner checks its lock: the takeover delay. */
const OWNER_POLL_MS = 1_000;
/** How often the owner looks for broker sessions of gone instances, and how long a start waits for one's rescue. */
const RESCUE_EVERY_MS = 2_000;
const SESSION_WAIT_MS = 150_000;

export interface Service {
  httpPort: number;
  mqttPort: number;
  adminToken: string;
  api: FastifyInstance;
  stop(): Promise<void>;
}

/**
 * The composition root: the only module that knows every part. A message
 * flows broker hook (auth, ACL, size) → decoder → de-dup → state commit
 * (one SQLite transaction per group) → event on the bus → alerting,
 * telemetry and the live page react.
 */
export async function createService(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  /** The process cannot go on safely (main.ts's default: exit 1, for the supervisor to restart it). */
  onFatal: (err: Error) => void = () => process.exit(1),
): Promise<Service> {
  const dataDir = config.DATA_DIR;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let ready = false;

  const tls =
    config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
      : null;
  const bus = new EventBus<ServiceEvents>(logger.child({ component: 'bus' }));
  // One SQLite file in DATA_DIR, or PostgreSQL shared with the other instances.
  const shared = config.DATABASE_URL ? await openSharedDatabase(config.DATABASE_URL, logger) : null;
  const stores: Stores = shared ?? openLocalDatabase(dataDir, logger);
  const { store, alertStore } = stores;
  const registry = new Registry(store, bus, clock);
  const registryLog = logger.child({ component: 'registry' });
  registry.tree.onCycle = (ids) =>
    registryLog.error(
      { code: 'grid_cycle', ids },
      `stored grid nodes form a cycle (${ids.join(' → ')}); walks treat the closing link as broken: give one of them a parent outside it (PATCH /api/grid/:id)`,
    );
  await registry.load();

  const telemetry = createTelemetrySink(
    {
      url: config.INFLUX_URL,
      api: config.INFLUX_API,
      token: config.INFLUX_TOKEN,
      org: config.INFLUX_ORG,
      bucket: config.INFLUX_BUCKET,
      db: config.INFLUX_DB,
      rp: config.INFLUX_RP,
      username: config.INFLUX_USERNAME,
      password: config.INFLUX_PASSWORD,
      spoolDir: join(dataDir, 'telemetry-spool'),
    },
    logger,
  );
  await telemetry.start();

  const ingestLog = logger.child({ component: 'ingest' });
  const pipeline = new IngestPipeline(store, telemetry, bus, ingestLog);
  await pipeline.load();
  const messages = createMessageHandler({ registry, pipeline, bus, clock, logger: ingestLog });
  bus.on('registry.changed', ({ entity, id, removed }) => {
    if (entity === 'sensor' && removed) pipeline.forgetSensor(id);
  });

  // Alerting reacts to committed seal messages: this process's, on the bus; with several
  // instances, everyone's, from the seal feed, on the one instance that owns alerting.
  const engineFeed = shared ? createEngineFeed() : null;
  // The embedded broker starts below; until then, and behind an external broker, no log-in queue.
  let broker: Broker | null = null;
  const alerting = createAlerting({
    settings: {
      smtpUrl: config.SMTP_URL,
      mailFrom: config.MAIL_FROM,
      publicUrl: config.PUBLIC_URL,
      tz: config.TZ_LOCAL,
      locale: config.LOCALE,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL,
      missedBeats: config.MISSED_HEARTBEATS,
      escalateAfter: config.ESCALATE_AFTER,
      dailyReportCron: config.DAILY_REPORT_CRON,
      ackKey: shared ? await shared.ackKey() : loadOrCreateAckKey(dataDir),
    },
    registry,
    seals: pipeline,
    store: alertStore,
    bus,
    telemetry,
    clock,
    logger,
    ...(engineFeed ? { committedFeed: engineFeed.subscribe } : {}),
    connectBacklog: () => broker?.pendingConnects() ?? 0,
  });
  // With several instances, the owner starts it once elected (below).
  if (!shared) alerting.start();
  let instances: MultiInstance | null = null;
  let ownSession: SessionClaim | null = null;
  let rescue: ReturnType<typeof startSessionRescue> | null = null;

  const offlineAfterMs = config.HEARTBEAT_INTERVAL * config.MISSED_HEARTBEATS;
  let external: ExternalConsumer | null = null;
  const metrics = createMetrics(bus, {
    broker: () => broker && { ...broker.stats(), pendingConnects: broker.pendingConnects() },
    externalBroker: () => external?.stats() ?? null,
    ingest: () => ({ ...pipeline.getStats(), clamped: messages.counters.clamped }),
    seals: () => sealCounts(registry, pipeline, clock.now(), offlineAfterMs),
    telemetry: () => ({ kind: telemetry.kind, ...telemetry.stats() }),
    // The owner's engine, or what it relayed: the same numbers on every instance.
    alerts: () => (instances && !instances.isOwner() ? instances.openAlerts() : alerting.engine.unresolved()),
    instances: () =>
      instances && {
        ...instances.stats(),
        ...(rescue?.stats() ?? { sessionsRescued: 0, messagesRescued: 0 }),
      },
    outbox: () => alertStore.outboxCounts(),
  });

  const events = new EventStream(clock);
  connectLiveFeed(bus, events, registry, clock, offlineAfterMs);
  // A revoked token's open event streams and MQTT service sessions end with it, here and (the
  // revocation reaches the others as a registry change) on every instance.
  bus.on('registry.changed', ({ entity, id, removed }) => {
    if (entity !== 'token' || !removed) return;
    events.closeToken(id);
    broker?.closeServiceSessions(id);
  });

  const api = buildApi(
    {
      registry,
      seals: pipeline,
      doorHistory: async (sensorId, limit) =>
        (await store.doorHistory(sensorId, limit)).map((e) => ({
          ...e,
          ts: new Date(e.ts).toISOString(),
          receivedAt: new Date(e.receivedAt).toISOString(),
        })),
      clock,
      offlineAfterMs,
      commissioningMs: COMMISSIONING_MS,
      isReady: () => ready && (broker?.healthy() ?? true) && (external?.ready ?? true),
      metricsText: metrics.text,
      metricsContentType: metrics.contentType,
      observeHttp: metrics.observeHttp,
      version: VERSION,
      events,
      openAlerts: () => instances?.openAlerts() ?? alerting.engine.openAlerts(),
      ...(shared
        ? {
            alertingOwner: {
              isOwner: () => instances?.isOwner() ?? false,
              ownerUrl: async () => (instances ? instances.ownerUrl() : null),
            },
          }
        : {}),
      alerting,
      brokerHooks: brokerHooksFor(registry, clock, config, logger.child({ component: 'broker-hooks' })),
    },
    logger,
    config.HTTP_TLS ? tls : null,
  );

  if (config.MQTT_URL) {
    // Ingest consumes the external broker's shared subscriptions; no embedded broker.
    const externalConfig = { ...config, MQTT_URL: config.MQTT_URL };
    const clientId = externalClientId(config);
    const externalLog = logger.child({ component: 'external-broker' });
    if (shared) {
      // Several instances: this session is ours while we run; when we are gone, the owner empties it.
      ownSession = await holdOwnSession(shared.pool, clientId, shared.instance, SESSION_WAIT_MS);
      rescue = startSessionRescue({
        pool: shared.pool,
        ownClientId: clientId,
        isOwner: () => instances?.isOwner() ?? false,
        rescuer: (id) => externalConsumer(externalConfig, id, messages.handle, externalLog, 'rescue'),
        everyMs: RESCUE_EVERY_MS,
        logger: externalLog,
      });
    }
    external = startExternalIngest(externalConfig, clientId, messages.handle, externalLog);
  } else {
    broker = await createBroker({
      port: config.MQTT_PORT,
      host: config.MQTT_HOST,
      maxPacketSize: config.MQTT_MAX_PACKET_SIZE,
      ...(config.MQTT_TLS_PORT !== undefined && tls ? { tls: { port: config.MQTT_TLS_PORT, ...tls } } : {}),
      ...(config.MQTT_WS_PORT !== undefined ? { wsPort: config.MQTT_WS_PORT } : {}),
      authenticator: new Authenticator(
        registryCredentials(registry, logger.child({ component: 'broker' })),
        new LoginThrottle(clock),
      ),
      onPublish: messages.handle,
      mayRead: (identity, topic) => {
        if (identity.kind !== 'service' || identity.gridId === null) return true;
        const sensorId = sensorIdForTopic(topic, (name) => registry.sensorByFriendlyName(name)?.id);
        const gridId = sensorId === undefined ? undefined : registry.placement(sensorId)?.gridId;
        return gridId !== undefined && registry.tree.isWithin(gridId, identity.gridId);
      },
      sensorIdForTopic: (topic) => sensorIdForTopic(topic, (name) => registry.sensorByFriendlyName(name)?.id),
      redisUrl: config.REDIS_URL,
      clock,
      logger: logger.child({ component: 'broker' }),
    });
  }

  await api.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
  const httpAddress = api.server.address();
  const httpPort = typeof httpAddress === 'object' && httpAddress ? httpAddress.port : config.HTTP_PORT;
  if (shared && engineFeed) {
    instances = await startMultiInstance({
      ...shared,
      instanceUrl: config.INSTANCE_URL ?? defaultInstanceUrl(config, httpPort),
      registry,
      pipeline,
      bus,
      alerting,
      deliverToEngine: engineFeed.deliver,
      alertStore,
      ownerPollMs: OWNER_POLL_MS,
      logger: logger.child({ component: 'instances', instance: shared.instance }),
      onLostOwnership: (err) => {
        // Another instance may be deciding already: stop at once and let the supervisor restart
        // this one as a follower, rather than two owners escalating and sending side by side.
        logger.fatal({ err }, 'lost the alerting ownership (database connection); exiting');
        onFatal(err);
      },
    });
  }
  const adminToken = await ensureAdminToken(registry, dataDir, logger);
  const retention = scheduleRetentionPurge(
    registry,
    config.RETENTION_DAYS,
    config.TZ_LOCAL,
    logger.child({ component: 'retention' }),
  );
  ready = true;
  logger.info(
    {
      httpPort,
      mqttPort: broker?.port ?? null,
      mqttTlsPort: broker?.tlsPort ?? null,
      mqttWsPort: broker?.wsPort ?? null,
      mqttUrl: config.MQTT_URL === undefined ? null : redactUrl(config.MQTT_URL),
      https: config.HTTP_TLS,
      dataDir,
      telemetry: telemetry.kind,
    },
    'SealWatch ready',
  );

  const openBroker = broker;
  return {
    httpPort,
    mqttPort: broker?.port ?? 0,
    adminToken,
    api,
    async stop() {
      ready = false;
      retention.stop();
      // Stop taking new messages first, then commit what is in flight.
      await rescue?.stop();
      await (external ? external.close() : openBroker?.close());
      await ownSession?.release(false);
      await pipeline.drain();
      await instances?.stop();
      await alerting.stop();
      events.closeAll();
      await api.close();
      // Hashes upgraded by the last logins; one lost is made again at that device's next login.
      await registry.flushSecretHashUpgrades().catch(() => {});
      await telemetry.stop();
      await stores.close();
      logger.info('SealWatch stopped');
    },
  };
}

/** Bound to one address, the instance is reached there; bound to all, by its host name. */
function defaultInstanceUrl(config: Config, httpPort: number): string {
  const host = ['0.0.0.0', '::', ''].includes(config.HTTP_HOST) ? hostname() : config.HTTP_HOST;
  return `${config.HTTP_TLS ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
}
