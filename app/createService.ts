/**
 * The composition root: the only module that knows every part. It starts the parts in order, each with its
 * own configuration section and the parts it depends on, and stops them in reverse (app/lifecycle.ts).
 *
 * A message's way in: the ingress (the embedded broker's hooks: authentication, ACL, size; or an external
 * broker's shared subscription) → ingest (decoder → de-dup → one state commit, with alerting's decision in the
 * same SQLite transaction) → events on the bus → telemetry, the live page and, from the seal feed with several
 * instances, the owner's alerting react. The ingress starts last and stops first, so every part a message
 * reaches is running while messages come in.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { redactUrl } from '../broker/external/consumer.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import { EventBus } from '../core/eventBus.ts';
import type { ServiceEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { startAlerting } from './components/alerting.ts';
import { startApi } from './components/api.ts';
import { BackupRecord, startBackups } from './components/backup.ts';
import { startCluster } from './components/cluster.ts';
import { startIngest } from './components/ingest.ts';
import { startIngress } from './components/ingress.ts';
import { startRetention } from './components/retention.ts';
import { startStorage } from './components/storage.ts';
import { startTelemetry } from './components/telemetry.ts';
import { ClusterView, IngressView } from './components/views.ts';
import { configSections } from './configSections.ts';
import { Lifecycle } from './lifecycle.ts';

export { VERSION } from './components/api.ts';

export interface Service {
  httpPort: number;
  mqttPort: number;
  adminToken: string;
  api: FastifyInstance;
  stop(): Promise<void>;
}

export async function createService(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  /** The process cannot go on safely (main.ts's default: exit 1, for the supervisor to restart it). */
  onFatal: (err: Error) => void = () => process.exit(1),
): Promise<Service> {
  const tls =
    config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
      : null;
  const section = configSections(config, tls);
  const bus = new EventBus<ServiceEvents>(logger.child({ component: 'bus' }));
  const parts = new Lifecycle(logger);
  const base = { bus, clock, logger };
  // The parts started before the ingress and the cluster ask them about connections and ownership.
  const ingressView = new IngressView();
  const clusterView = new ClusterView();
  // The API reports the scheduled backups, which start after it.
  const backups = section.backup.dir === undefined ? null : new BackupRecord();
  let started = false;

  const storage = await parts.start('storage', () => startStorage(section.storage, base));
  const telemetry = await parts.start('telemetry', () => startTelemetry(section.telemetry, base));
  const ingest = await parts.start('ingest', () =>
    startIngest({ ...base, storage, telemetry, accepting: () => started }),
  );
  const alerting = await parts.start('alerting', () =>
    startAlerting(section.alerting, { ...base, storage, ingest, telemetry, ingress: ingressView }),
  );
  const api = await parts.start('api', () =>
    startApi(section.api, {
      ...base,
      storage,
      telemetry,
      ingest,
      alerting,
      ingress: ingressView,
      cluster: clusterView,
      backups,
      started: () => started,
    }),
  );
  await parts.start('cluster', () =>
    startCluster(section.cluster, {
      ...base,
      storage,
      ingest,
      alerting,
      view: clusterView,
      httpPort: api.httpPort,
      onFatal,
    }),
  );
  await parts.start('retention', () => startRetention(section.retention, { ...base, storage }));
  await parts.start('backup', () => startBackups(section.backup, { ...base, storage, record: backups }));
  await parts.start('ingress', () =>
    startIngress(section.ingress, { ...base, storage, ingest, cluster: clusterView, view: ingressView }),
  );
  started = true;

  const broker = ingressView.broker;
  logger.info(
    {
      httpPort: api.httpPort,
      mqttPort: broker?.port ?? null,
      mqttTlsPort: broker?.tlsPort ?? null,
      mqttWsPort: broker?.wsPort ?? null,
      mqttUrl: config.MQTT_URL === undefined ? null : redactUrl(config.MQTT_URL),
      https: config.HTTP_TLS,
      dataDir: config.DATA_DIR,
      telemetry: telemetry.sink.kind,
    },
    'SealWatch ready',
  );
  return {
    httpPort: api.httpPort,
    mqttPort: broker?.port ?? 0,
    adminToken: api.adminToken,
    api: api.api,
    async stop() {
      started = false;
      await parts.stopAll();
      logger.info('SealWatch stopped');
    },
  };
}
