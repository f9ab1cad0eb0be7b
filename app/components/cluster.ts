/**
 * The cluster, with several instances on one PostgreSQL (DATABASE_URL): which instance owns alerting (a lock;
 * a follower takes over within a poll), every instance mirroring the others' seal changes from the seal feed,
 * and the owner's alert counts relayed to the followers. On SQLite there is one instance and nothing to do.
 */

import { hostname } from 'node:os';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { ConfigSections } from '../configSections.ts';
import type { Component } from '../lifecycle.ts';
import { startMultiInstance } from '../multiInstance.ts';
import type { AlertingComponent } from './alerting.ts';
import type { IngestComponent } from './ingest.ts';
import type { StorageComponent } from './storage.ts';
import type { ClusterView } from './views.ts';

/** How often a follower tries to take over alerting, and the owner checks its lock: the takeover delay. */
const OWNER_POLL_MS = 1_000;

export async function startCluster(
  section: ConfigSections['cluster'],
  deps: {
    storage: StorageComponent;
    ingest: IngestComponent;
    alerting: AlertingComponent;
    view: ClusterView;
    httpPort: number;
    bus: EventBus<ServiceEvents>;
    logger: Logger;
    /** The process cannot go on safely: another instance may be deciding already. */
    onFatal(err: Error): void;
  },
): Promise<Component> {
  const { shared } = deps.storage;
  const feed = deps.alerting.engineFeed;
  if (!shared || !feed) return { name: 'cluster', stop() {} };
  const logger = deps.logger;
  const instances = await startMultiInstance({
    ...shared,
    instanceUrl: section.instanceUrl ?? defaultInstanceUrl(section, deps.httpPort),
    registry: deps.storage.registry,
    pipeline: deps.ingest.pipeline,
    bus: deps.bus,
    alerting: deps.alerting.alerting,
    deliverToEngine: feed.deliver,
    alertStore: deps.storage.alertStore,
    ownerPollMs: OWNER_POLL_MS,
    logger: logger.child({ component: 'instances', instance: shared.instance }),
    onLostOwnership: (err) => {
      // Stop at once and let the supervisor restart this one as a follower, rather than two owners
      // escalating and sending side by side.
      logger.fatal({ err }, 'lost the alerting ownership (database connection); exiting');
      deps.onFatal(err);
    },
  });
  deps.view.instances = instances;
  return { name: 'cluster', stop: () => instances.stop() };
}

/** Bound to one address, the instance is reached there; bound to all, by its host name. */
function defaultInstanceUrl(section: ConfigSections['cluster'], httpPort: number): string {
  const host = ['0.0.0.0', '::', ''].includes(section.httpHost) ? hostname() : section.httpHost;
  return `${section.https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
}
