/**
 * Alerting: the engine that matches breaches and silent seals to grid workers, its channels, the acknowledge
 * and announce links and the daily report. With several instances only the owner runs it (the cluster
 * component starts it once elected) and it reads everyone's messages from the seal feed.
 */
import { loadOrCreateAckKey } from '../../alerting/engine/ackKey.ts';
import { type Alerting, createAlerting } from '../../alerting/engine/createAlerting.ts';
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { ConfigSections } from '../configSections.ts';
import type { Component } from '../lifecycle.ts';
import { createEngineFeed } from '../multiInstance.ts';
import type { IngestComponent } from './ingest.ts';
import type { StorageComponent } from './storage.ts';
import type { TelemetryComponent } from './telemetry.ts';
import type { IngressView } from './views.ts';

export interface AlertingComponent extends Component {
  readonly alerting: Alerting;
  /** Where the owner's engine reads the seal feed; null with one instance (it reads the bus). */
  readonly engineFeed: ReturnType<typeof createEngineFeed> | null;
}

export async function startAlerting(
  section: ConfigSections['alerting'],
  deps: {
    storage: StorageComponent;
    ingest: IngestComponent;
    telemetry: TelemetryComponent;
    ingress: IngressView;
    bus: EventBus<ServiceEvents>;
    clock: Clock;
    logger: Logger;
  },
): Promise<AlertingComponent> {
  const { dataDir, ...settings } = section;
  const { storage } = deps;
  const engineFeed = storage.shared ? createEngineFeed() : null;
  const alerting = createAlerting({
    settings: {
      ...settings,
      ackKey: storage.shared ? await storage.shared.ackKey() : loadOrCreateAckKey(dataDir),
    },
    registry: storage.registry,
    seals: deps.ingest.pipeline,
    store: storage.alertStore,
    smsLedger: storage.smsLedger,
    residentQr: storage.residentQr,
    bus: deps.bus,
    telemetry: deps.telemetry.sink,
    clock: deps.clock,
    logger: deps.logger,
    ...(engineFeed ? { committedFeed: engineFeed.subscribe } : {}),
    // A restart's log-in queue extends the offline grace (the ingress starts last: 0 until then).
    connectBacklog: () => deps.ingress.pendingConnects(),
  });
  if (!engineFeed) await alerting.start();
  return { name: 'alerting', alerting, engineFeed, stop: () => alerting.stop() };
}
