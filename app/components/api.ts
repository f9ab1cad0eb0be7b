/**
 * The HTTP API and what it serves: the routes, the live page's event stream, /metrics and the first admin
 * token. It listens before the ingress starts, and answers not ready (/readyz) until the whole service is up.
 */
import type { FastifyInstance } from 'fastify';
import { timeToAck } from '../../alerting/dailyReport.ts';
import { localDayStart } from '../../alerting/localTime.ts';
import { COMMISSIONING_MS } from '../../alerting/rules/commissioning.ts';
import { buildApi } from '../../api/app.ts';
import { EventStream } from '../../api/live/eventStream.ts';
import { connectLiveFeed } from '../../api/live/liveFeed.ts';
import { createMetrics } from '../../api/metrics.ts';
import { userCredential } from '../../api/principal.ts';
import type { DoorEventAnswer } from '../../api/schemas/liveAnswers.ts';
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { DoorEventRecord } from '../../core/sealState.ts';
import { ensureAdminToken } from '../adminToken.ts';
import type { ConfigSections } from '../configSections.ts';
import { brokerHooksFor } from '../externalBroker.ts';
import type { Component } from '../lifecycle.ts';
import { sealCounts } from '../sealCounts.ts';
import type { AlertingComponent } from './alerting.ts';
import type { BackupRecord } from './backup.ts';
import type { IngestComponent } from './ingest.ts';
import type { StorageComponent } from './storage.ts';
import type { TelemetryComponent } from './telemetry.ts';
import type { ClusterView, IngressView } from './views.ts';

export const VERSION = '0.1.0';

export interface ApiComponent extends Component {
  readonly api: FastifyInstance;
  readonly httpPort: number;
  readonly adminToken: string;
}

export async function startApi(
  section: ConfigSections['api'],
  deps: {
    storage: StorageComponent;
    telemetry: TelemetryComponent;
    ingest: IngestComponent;
    alerting: AlertingComponent;
    ingress: IngressView;
    cluster: ClusterView;
    /** The scheduled backups' record; null without BACKUP_DIR. */
    backups: BackupRecord | null;
    bus: EventBus<ServiceEvents>;
    clock: Clock;
    logger: Logger;
    /** Whether every part of the service has started (the API starts before the last ones). */
    started(): boolean;
  },
): Promise<ApiComponent> {
  const { storage, ingest, ingress, cluster, bus, clock, logger } = deps;
  const { registry, store, alertStore } = storage;
  const { alerting } = deps.alerting;
  const telemetry = deps.telemetry.sink;
  const isReady = () => deps.started() && ingress.healthy();
  const metrics = createMetrics(bus, {
    broker: () => ingress.broker && { ...ingress.broker.stats(), pendingConnects: ingress.pendingConnects() },
    externalBroker: () => ingress.external?.stats() ?? null,
    memoryRelease: () => ingress.memoryRelease?.stats() ?? null,
    ingest: () => ({ ...ingest.pipeline.getStats(), clamped: ingest.counters.clamped }),
    seals: () => sealCounts(registry, ingest.pipeline, clock.now()),
    telemetry: () => ({ kind: telemetry.kind, ...telemetry.stats() }),
    // The owner's engine, or what it relayed: the same numbers on every instance.
    alerts: () =>
      cluster.instances && !cluster.instances.isOwner()
        ? cluster.instances.openAlerts()
        : alerting.engine.unresolved(),
    instances: () =>
      cluster.instances && {
        ...cluster.instances.stats(),
        ...(ingress.rescue?.stats() ?? { sessionsRescued: 0, messagesRescued: 0 }),
      },
    silencedSensors: () => alerting.engine.silences.count(clock.now()),
    sqliteWal: () => storage.sqliteWal(),
    outbox: () => alertStore.outboxCounts(),
    outboxOldestWaitingMs: async () => {
      const at = await alertStore.oldestWaitingOutboxAt();
      return at === null ? 0 : Math.max(0, clock.now() - at);
    },
    timeToAckToday: async () => {
      const now = clock.now();
      const since = localDayStart(now, alerting.reports.tz);
      return timeToAck(await alerting.engine.openedBetween(since, now + 1));
    },
    ready: isReady,
    sms: () => {
      const s = alerting.sms?.stats();
      return s ? { ...s, replies: { ...s.replies } as Record<string, number> } : null;
    },
    voice: () => alerting.voice?.stats() ?? null,
    ...(deps.backups ? { backup: deps.backups } : {}),
  });

  const events = new EventStream(clock);
  connectLiveFeed(bus, events, registry, clock, (id) => alerting.engine.silences.of(id, clock.now()));
  // A revoked token's open event streams and MQTT service sessions end with it, here and (the
  // revocation reaches the others as a registry change) on every instance.
  bus.on('registry.changed', ({ entity, id, removed }) => {
    // A person's sessions ended (signed out everywhere, disabled, removed): so do their streams.
    if (entity === 'session' && removed) events.closeToken(userCredential(id));
    if (entity !== 'token' || !removed) return;
    events.closeToken(id);
    ingress.closeServiceSessions(id);
  });

  const api = buildApi(
    {
      registry,
      seals: ingest.pipeline,
      doorHistory: async (sensorId, limit) => (await store.doorHistory(sensorId, limit)).map(doorEventAnswer),
      householdDoorHistory: async (householdId, limit) =>
        (await store.householdDoorHistory(householdId, limit)).map(doorEventAnswer),
      clock,
      commissioningMs: COMMISSIONING_MS,
      isReady,
      metricsText: metrics.text,
      metricsContentType: metrics.contentType,
      observeHttp: metrics.observeHttp,
      version: VERSION,
      events,
      openAlerts: () => cluster.instances?.openAlerts() ?? alerting.engine.openAlerts(),
      ...(storage.shared
        ? {
            alertingOwner: {
              isOwner: () => cluster.isOwner(),
              ownerUrl: async () => (cluster.instances ? cluster.instances.ownerUrl() : null),
            },
          }
        : {}),
      alerting,
      sessions: section.sessions,
      platformPush: ingest.platforms,
      ...(deps.backups ? { backups: deps.backups } : {}),
      brokerHooks: brokerHooksFor(
        registry,
        clock,
        section.brokerHooks,
        logger.child({ component: 'broker-hooks' }),
      ),
    },
    logger,
    section.tls,
    { verifyResponses: section.verifyResponses },
  );
  const adminToken = await ensureAdminToken(registry, section.dataDir, logger);
  try {
    await api.listen({ port: section.port, host: section.host });
  } catch (err) {
    await api.close();
    throw err;
  }
  const address = api.server.address();
  return {
    name: 'api',
    api,
    httpPort: typeof address === 'object' && address ? address.port : section.port,
    adminToken,
    async stop() {
      events.closeAll();
      await api.close();
    },
  };
}

/** A stored door event as the API answers it: times as ISO strings. */
function doorEventAnswer(e: DoorEventRecord): DoorEventAnswer {
  return { ...e, ts: new Date(e.ts).toISOString(), receivedAt: new Date(e.receivedAt).toISOString() };
}
