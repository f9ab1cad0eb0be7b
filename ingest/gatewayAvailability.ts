import type { Identity } from '../broker/identity.ts';
import type { SealMessage } from '../core/sealMessage.ts';

/**
 * A gateway's own availability (a Zigbee2MQTT bridge's `bridge/state`, published by the bridge on
 * connect and before a clean stop, and by the broker as its last will when its connection is lost)
 * becomes one `status` message per sensor behind it, marked with the gateway's id.
 *
 * Why per sensor and through the pipeline, not an event of its own: the per-sensor message is
 * committed like any other (durable before the PUBACK), reaches alerting on SQLite inside the commit,
 * and on several instances reaches the alerting owner through the seal feed, in order with the
 * sensors' own messages, from whichever instance the gateway is connected to. The live state shows
 * the sensors as not online while their gateway is gone. Alerting turns it into one gateway alert
 * (alerting/rules/gatewayOutage.ts), not one per sensor.
 *
 * The topic names no gateway (every bridge publishes `zigbee2mqtt/bridge/state`): the publisher is
 * the gateway. Without a publisher (an external broker's shared subscription) nothing is relayed;
 * the gateway's silence is still found from its sensors' silence.
 */
export function gatewayStatusMessages(
  identity: Identity | null,
  online: boolean,
  at: number,
  dialect: SealMessage['dialect'],
  sensorsOf: (gatewayId: string) => readonly string[] | undefined,
): { gatewayId: string; messages: SealMessage[] } | null {
  if (identity?.kind !== 'gateway') return null;
  const sensorIds = sensorsOf(identity.id) ?? [];
  return {
    gatewayId: identity.id,
    messages: sensorIds.map((sensorId) => ({
      kind: 'status',
      sensorId,
      dialect,
      online,
      ts: at,
      receivedAt: at,
      seq: null,
      gatewayId: identity.id,
    })),
  };
}
