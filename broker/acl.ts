import { parseSealTopic } from '../contract/topics.ts';
import type { Identity } from './identity.ts';

/** Topic prefixes of the vendor dialects a gateway may publish under. */
export const DIALECT_PREFIXES = ['zigbee2mqtt/', 'shellies/'] as const;

const SERVICE_SUBSCRIPTIONS = /^(seal|zigbee2mqtt|shellies)(\/|$)/;

/**
 * The topic ACL. A sensor publishes only under `seal/<its id>/` and
 * subscribes only to its own config. A gateway publishes for its listed
 * sensors (native topics here; dialect topics are checked per decoded sensor
 * by ingest). Service clients read seal topics and write sensors' config.
 */
export function canPublish(identity: Identity, topic: string): boolean {
  const native = parseSealTopic(topic);
  switch (identity.kind) {
    case 'sensor':
      return native !== null && native.sensorId === identity.id && native.channel !== 'config';
    case 'gateway':
      if (native) return native.channel !== 'config' && identity.sensorIds.has(native.sensorId);
      return DIALECT_PREFIXES.some((p) => topic.startsWith(p));
    case 'service':
      return (
        native !== null &&
        native.channel === 'config' &&
        (identity.role === 'admin' || identity.role === 'technician')
      );
  }
}

/**
 * A Shelly (Gen1) listens for commands on `shellies/<device id>/command` and, for every Shelly at
 * once, `shellies/command` (e.g. `announce`, `update`):
 * https://shelly-api-docs.shelly.cloud/gen1/#mqtt-support. A Shelly is a gateway of one sensor whose
 * friendly name is its device id, so it may subscribe to its own command topic and the broadcast one.
 */
const SHELLY_COMMAND = /^shellies\/([^/#+]+)\/command$/;

export function canSubscribe(
  identity: Identity,
  topicFilter: string,
  /** Which registered sensor a dialect topic names (friendly names); without it, no dialect topic. */
  sensorIdForTopic?: (topic: string) => string | undefined,
): boolean {
  switch (identity.kind) {
    case 'sensor':
      return topicFilter === `seal/${identity.id}/config`;
    case 'gateway': {
      const native = parseSealTopic(topicFilter);
      if (native) return native.channel === 'config' && identity.sensorIds.has(native.sensorId);
      if (topicFilter === 'shellies/command') return true;
      if (!SHELLY_COMMAND.test(topicFilter) || !sensorIdForTopic) return false;
      const sensorId = sensorIdForTopic(topicFilter);
      return sensorId !== undefined && identity.sensorIds.has(sensorId);
    }
    case 'service':
      return SERVICE_SUBSCRIPTIONS.test(topicFilter);
  }
}
