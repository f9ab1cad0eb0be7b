/**
 * What the parts started early (alerting, the API, metrics) ask of two parts started after them: the ingress
 * (connections) and the cluster (ownership). Each view answers before its part has started, and on a single
 * instance, with what holds then (no connections, not the owner); the part fills it in when it starts.
 */
import type { Broker } from '../../broker/createBroker.ts';
import type { ExternalConsumer } from '../../broker/external/consumer.ts';
import type { startMemoryRelease } from '../memory/releaseAfterLogins.ts';
import type { MultiInstance } from '../multiInstance.ts';
import type { startSessionRescue } from '../sessionRescue.ts';

/** The ingress: the embedded broker or the external consumer, once started. */
export class IngressView {
  broker: Broker | null = null;
  external: ExternalConsumer | null = null;
  rescue: ReturnType<typeof startSessionRescue> | null = null;
  /** With the embedded broker: the memory a login storm grew, given back after it. */
  memoryRelease: ReturnType<typeof startMemoryRelease> | null = null;

  pendingConnects(): number {
    return this.broker?.pendingConnects() ?? 0;
  }

  healthy(): boolean {
    return (this.broker?.healthy() ?? true) && (this.external?.ready ?? true);
  }

  closeServiceSessions(tokenId: string): void {
    this.broker?.closeServiceSessions(tokenId);
  }
}

/** The cluster: this instance among those sharing one PostgreSQL, once started. */
export class ClusterView {
  instances: MultiInstance | null = null;

  isOwner(): boolean {
    return this.instances?.isOwner() ?? false;
  }
}
