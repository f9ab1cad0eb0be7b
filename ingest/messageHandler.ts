import type { PublishVerdict } from '../broker/createBroker.ts';
import type { Identity } from '../broker/identity.ts';
import type { Clock } from '../core/clock.ts';
import type { EventBus } from '../core/eventBus.ts';
import type { RejectReason, ServiceEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { keyedLogThrottle } from '../core/logThrottle.ts';
import type { SealMessage } from '../core/sealMessage.ts';
import type { Registry } from '../registry/registry.ts';
import { clampTimestamp } from './clampTimestamp.ts';
import { decoderFor } from './decoders/index.ts';
import { gatewayStatusMessages } from './gatewayAvailability.ts';
import type { IngestPipeline } from './ingestPipeline.ts';

export interface IngestCounters {
  clamped: number;
  rejected: Record<string, number>;
}

/**
 * From a device's MQTT message to durable acceptance: pick the dialect,
 * decode, check the decoded sensors against the publisher, clamp device
 * time, then hand over to the pipeline. Every drop is counted by reason and
 * logged at a limited rate.
 */
export function createMessageHandler(deps: {
  registry: Registry;
  pipeline: IngestPipeline;
  bus: EventBus<ServiceEvents>;
  clock: Clock;
  logger: Logger;
}): {
  handle: (identity: Identity | null, topic: string, payload: Buffer) => Promise<PublishVerdict>;
  counters: IngestCounters;
} {
  const { registry, pipeline, bus, clock } = deps;
  const counters: IngestCounters = { clamped: 0, rejected: {} };
  // Five lines per kind of drop per 10 s; the next line says how many were held back.
  const throttled = keyedLogThrottle(10_000, 5, clock);
  const warn = (key: string, fields: Record<string, unknown>, message: string) =>
    throttled(key, (suppressed) =>
      deps.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message),
    );

  const drop = (
    reason: RejectReason,
    sensorId: string | null,
    dialect: string | null,
    detail: string,
    topic: string,
  ) => {
    counters.rejected[reason] = (counters.rejected[reason] ?? 0) + 1;
    bus.emit('message.rejected', { reason, sensorId, dialect });
    warn(`reject:${reason}`, { reason, sensorId, dialect, topic, detail }, 'message dropped');
    const verdict: PublishVerdict = { accepted: false, reason, disconnect: reason === 'acl' };
    return Promise.resolve(verdict);
  };

  const sensorIdForName = (name: string): string | undefined => registry.sensorByFriendlyName(name)?.id;

  // A throw anywhere in handleNow becomes a rejection the broker turns into a refused PUBLISH. Not an
  // async function: its promise would wrap the pipeline's and cost two more turns and objects per
  // message (issue 20.1).
  const handle = (identity: Identity | null, topic: string, payload: Buffer): Promise<PublishVerdict> => {
    try {
      return handleNow(identity, topic, payload);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  const handleNow = (identity: Identity | null, topic: string, payload: Buffer): Promise<PublishVerdict> => {
    const receivedAt = clock.now();
    const decoder = decoderFor(topic);
    if (!decoder) return drop('unknown_dialect', null, null, 'no dialect for this topic', topic);
    const result = decoder.decode(topic, payload, { receivedAt, sensorIdForName });
    if (!result.ok) return drop(result.reason, result.sensorId, decoder.name, result.detail, topic);
    const messages =
      result.gatewayOnline === undefined
        ? result.messages
        : relayGatewayStatus(identity, result.gatewayOnline, receivedAt, decoder.name, topic);
    for (const field of result.ignored ?? []) {
      const sensorId = result.messages[0]?.sensorId ?? null;
      bus.emit('message.fieldIgnored', { field, sensorId, dialect: decoder.name });
      warn(`ignored:${field}`, { field, sensorId, topic }, 'unusable field ignored');
    }

    const accepted: Promise<void>[] = [];
    for (const message of messages) {
      if (!mayPublishFor(identity, message.sensorId)) {
        return drop('acl', message.sensorId, decoder.name, 'publisher may not speak for this sensor', topic);
      }
      const placement = registry.placement(message.sensorId);
      if (!placement)
        return drop('unknown_sensor', message.sensorId, decoder.name, 'sensor is not registered', topic);
      const clamped = clampTimestamp(message.ts, receivedAt);
      if (clamped.clamped) counters.clamped++;
      // The decoder's messages are this call's own: set the times in place (a spread of the whole
      // message was a hot line of the ingest profile, issue 20.1).
      message.deviceTs = message.ts;
      message.ts = clamped.ts;
      // The registry's placement is kept per sensor and has the pipeline's fields: passed as it is.
      accepted.push(pipeline.accept(message, placement));
    }
    return accepted.length === 1
      ? verdictOf(accepted[0] as Promise<void>)
      : Promise.all(accepted).then(acceptedVerdict);
  };

  // A commit group's promise is shared by all of its messages, and consecutive messages nearly always
  // join the same group: its verdict is made once, not once per message (a promise and a turn of
  // the microtask queue each, issue 20.1).
  let lastGroup: Promise<void> | null = null;
  let lastVerdict: Promise<PublishVerdict> | null = null;
  const verdictOf = (group: Promise<void>): Promise<PublishVerdict> => {
    if (group !== lastGroup || lastVerdict === null) {
      lastGroup = group;
      lastVerdict = group.then(acceptedVerdict);
    }
    return lastVerdict;
  };

  /** A gateway's own availability, as one status message per sensor behind it (gatewayAvailability.ts). */
  const relayGatewayStatus = (
    identity: Identity | null,
    online: boolean,
    receivedAt: number,
    dialect: SealMessage['dialect'],
    topic: string,
  ): SealMessage[] => {
    const relayed = gatewayStatusMessages(identity, online, receivedAt, dialect, (id) =>
      registry.gateway(id)?.sensorIds.filter((sensorId) => registry.placement(sensorId) !== undefined),
    );
    if (!relayed) {
      warn('gateway-status:unattributed', { topic }, 'gateway status without a gateway publisher ignored');
      return [];
    }
    deps.logger.info(
      { gatewayId: relayed.gatewayId, online, sensors: relayed.messages.length },
      'gateway status',
    );
    return relayed.messages;
  };

  return { handle, counters };
}

const ACCEPTED: PublishVerdict = Object.freeze({ accepted: true });
const acceptedVerdict = (): PublishVerdict => ACCEPTED;

/**
 * No identity: a will published after its client left (the ACL checked it at
 * CONNECT), or a message from an external broker's shared subscription, where
 * the publisher is not visible and the broker's ACL pins each device to its
 * own topics (broker/EXTERNAL.md). The topic names the sensor.
 */
function mayPublishFor(identity: Identity | null, sensorId: string): boolean {
  if (identity === null) return true;
  if (identity.kind === 'sensor') return identity.id === sensorId;
  if (identity.kind === 'gateway') return identity.sensorIds.has(sensorId);
  return false;
}
