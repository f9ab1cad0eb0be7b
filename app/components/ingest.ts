/**
 * Ingest: the live state of every seal (loaded from storage) and the handler that takes a device's message
 * from the broker hook: decoder → de-dup → one state commit → events on the bus. It takes messages only once
 * the ingress (started last) hands them over; the ingress drains it when it stops.
 */
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { IngestPipeline } from '../../ingest/ingestPipeline.ts';
import { createMessageHandler } from '../../ingest/messageHandler.ts';
import { createPlatformIngest, type PlatformIngest } from '../../ingest/platforms/platformIngest.ts';
import type { Component } from '../lifecycle.ts';
import type { StorageComponent } from './storage.ts';
import type { TelemetryComponent } from './telemetry.ts';

export interface IngestComponent extends Component {
  readonly pipeline: IngestPipeline;
  readonly handle: ReturnType<typeof createMessageHandler>['handle'];
  readonly counters: ReturnType<typeof createMessageHandler>['counters'];
  /** The carrier platforms' HTTP pushes (CTWing, OneNET), served by the API. */
  readonly platforms: PlatformIngest;
}

export async function startIngest(deps: {
  storage: StorageComponent;
  telemetry: TelemetryComponent;
  bus: EventBus<ServiceEvents>;
  clock: Clock;
  logger: Logger;
  /** Whether the whole service runs: platform pushes are turned away (503, retried) until then. */
  accepting: () => boolean;
}): Promise<IngestComponent> {
  const { storage, bus } = deps;
  const logger = deps.logger.child({ component: 'ingest' });
  const pipeline = new IngestPipeline(storage.store, deps.telemetry.sink, bus, logger);
  await pipeline.load();
  const messages = createMessageHandler({
    registry: storage.registry,
    pipeline,
    bus,
    clock: deps.clock,
    logger,
  });
  const platforms = createPlatformIngest({
    registry: storage.registry,
    pipeline,
    bus,
    clock: deps.clock,
    logger: logger.child({ part: 'platform-push' }),
    accepting: deps.accepting,
  });
  bus.on('registry.changed', ({ entity, id, removed }) => {
    if (entity === 'sensor' && removed) pipeline.forgetSensor(id);
  });
  // Nothing to stop: the ingress, which feeds it, drains it when it closes.
  return {
    name: 'ingest',
    pipeline,
    handle: messages.handle,
    counters: messages.counters,
    platforms,
    stop() {},
  };
}
