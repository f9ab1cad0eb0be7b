/**
 * Ingress, the way messages come in, started last so that everything they reach is running: the embedded
 * Aedes broker (its hooks authenticate, apply the ACL and hand each PUBLISH to ingest), or, with MQTT_URL, a
 * consumer of an external broker's shared subscriptions. Stopping it closes the door first, then lets ingest
 * commit what it already took.
 */
import { Authenticator } from '../../broker/authenticator.ts';
import { createBroker } from '../../broker/createBroker.ts';
import { loadMqttClient } from '../../broker/external/consumer.ts';
import { LoginThrottle } from '../../broker/loginThrottle.ts';
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { sensorIdForTopic } from '../../ingest/decoders/index.ts';
import { holdOwnSession, type SessionClaim } from '../../storage/postgres/consumerSessions.ts';
import type { ConfigSections } from '../configSections.ts';
import { externalClientId, externalConsumer, registryCredentials } from '../externalBroker.ts';
import type { Component } from '../lifecycle.ts';
import { startMemoryRelease } from '../memory/releaseAfterLogins.ts';
import { startSessionRescue } from '../sessionRescue.ts';
import type { IngestComponent } from './ingest.ts';
import type { StorageComponent } from './storage.ts';
import type { ClusterView, IngressView } from './views.ts';

/** How often the owner looks for broker sessions of gone instances, and how long a start waits for one's rescue. */
const RESCUE_EVERY_MS = 2_000;
const SESSION_WAIT_MS = 150_000;

export async function startIngress(
  section: ConfigSections['ingress'],
  deps: {
    storage: StorageComponent;
    ingest: IngestComponent;
    cluster: ClusterView;
    view: IngressView;
    bus: EventBus<ServiceEvents>;
    clock: Clock;
    logger: Logger;
  },
): Promise<Component> {
  const { storage, ingest, view } = deps;
  const { registry } = storage;
  const sensorIdOf = (topic: string) =>
    sensorIdForTopic(topic, (name) => registry.sensorByFriendlyName(name)?.id);

  if (section.external) {
    const external = section.external;
    const logger = deps.logger.child({ component: 'external-broker' });
    const clientId = externalClientId(external, section.dataDir);
    const connect = await loadMqttClient();
    let ownSession: SessionClaim | null = null;
    if (storage.shared) {
      // Several instances: this session is ours while we run; when we are gone, the owner empties it.
      const { pool, instance } = storage.shared;
      ownSession = await holdOwnSession(pool, clientId, instance, SESSION_WAIT_MS);
      view.rescue = startSessionRescue({
        pool,
        ownClientId: clientId,
        isOwner: () => deps.cluster.isOwner(),
        rescuer: (id) => externalConsumer(external, id, ingest.handle, logger, 'rescue', connect),
        everyMs: RESCUE_EVERY_MS,
        logger,
      });
    }
    const consumer = externalConsumer(external, clientId, ingest.handle, logger, 'consume', connect);
    consumer.start();
    view.external = consumer;
    return {
      name: 'ingress',
      async stop() {
        await view.rescue?.stop();
        await consumer.close();
        await ownSession?.release(false);
        await ingest.pipeline.drain();
      },
    };
  }

  const embedded = section.embedded;
  const broker = await createBroker({
    port: embedded.port,
    host: embedded.host,
    maxPacketSize: embedded.maxPacketSize,
    ...(embedded.tls ? { tls: embedded.tls } : {}),
    ...(embedded.wsPort !== undefined ? { wsPort: embedded.wsPort } : {}),
    authenticator: new Authenticator(
      registryCredentials(registry, deps.logger.child({ component: 'broker' })),
      new LoginThrottle(deps.clock),
    ),
    onPublish: ingest.handle,
    // A service token scoped to a grid node reads only the seals of that subtree.
    mayRead: (identity, topic) => {
      if (identity.kind !== 'service' || identity.gridId === null) return true;
      const sensorId = sensorIdOf(topic);
      const gridId = sensorId === undefined ? undefined : registry.placement(sensorId)?.gridId;
      return gridId !== undefined && registry.tree.isWithin(gridId, identity.gridId);
    },
    sensorIdForTopic: sensorIdOf,
    redisUrl: embedded.redisUrl,
    clock: deps.clock,
    logger: deps.logger.child({ component: 'broker' }),
  });
  view.broker = broker;
  if (embedded.memoryReleaseAfterLogins > 0) {
    view.memoryRelease = startMemoryRelease({
      accepted: () => broker.stats().connectionsOpened,
      minLogins: embedded.memoryReleaseAfterLogins,
      clock: deps.clock,
      logger: deps.logger.child({ component: 'memory' }),
    });
  }
  // A login is checked once, at CONNECT: a device removed, or given a new secret, loses the session it
  // had; a gateway given a new sensor list publishes for that list at once. Changes made on other
  // instances arrive here too (multiInstance.ts replays them on the bus).
  const offRegistry = deps.bus.on('registry.changed', ({ entity, id, removed, secretReplaced }) => {
    if (entity !== 'sensor' && entity !== 'gateway') return;
    if (removed) broker.closeDeviceSessions(id, 'device_removed');
    else if (secretReplaced) broker.closeDeviceSessions(id, 'secret_replaced');
    else if (entity === 'gateway') {
      const gateway = registry.gateway(id);
      if (gateway) broker.updateGatewaySensors(id, gateway.sensorIds);
    }
  });
  return {
    name: 'ingress',
    async stop() {
      // Stop taking new messages first, then commit what is in flight.
      offRegistry();
      view.memoryRelease?.stop();
      await broker.close();
      await ingest.pipeline.drain();
    },
  };
}
