/**
 * A gateway's own availability (a Zigbee2MQTT bridge's `bridge/state`) relayed to the sensors behind
 * it: attributed to the publishing gateway only, and not a sign of life of the sensors.
 */
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../broker/identity.ts';
import { initialSealState } from '../../../core/sealState.ts';
import { applyMessage } from '../../../ingest/applyMessage.ts';
import { gatewayStatusMessages } from '../../../ingest/gatewayAvailability.ts';

const AT = Date.UTC(2026, 0, 10, 2, 0, 0);
const gateway: Identity = { kind: 'gateway', id: 'gw-1', sensorIds: new Set(['z-1', 'z-2']) };
const sensorsOf = (id: string) => (id === 'gw-1' ? ['z-1', 'z-2'] : undefined);

describe('gatewayStatusMessages', () => {
  it('one status per sensor behind the publishing gateway, marked with it', () => {
    const relayed = gatewayStatusMessages(gateway, false, AT, 'zigbee2mqtt', sensorsOf);
    expect(relayed).toEqual({
      gatewayId: 'gw-1',
      messages: ['z-1', 'z-2'].map((sensorId) => ({
        kind: 'status',
        sensorId,
        dialect: 'zigbee2mqtt',
        online: false,
        ts: AT,
        receivedAt: AT,
        seq: null,
        gatewayId: 'gw-1',
      })),
    });
  });

  it('no gateway publisher (an external broker, a sensor): nothing to relay it to', () => {
    expect(gatewayStatusMessages(null, false, AT, 'zigbee2mqtt', sensorsOf)).toBeNull();
    expect(
      gatewayStatusMessages({ kind: 'sensor', id: 'z-1' }, false, AT, 'zigbee2mqtt', sensorsOf),
    ).toBeNull();
  });

  it('a gateway the registry no longer knows relays to no sensor', () => {
    const gone: Identity = { kind: 'gateway', id: 'gw-gone', sensorIds: new Set() };
    expect(gatewayStatusMessages(gone, true, AT, 'zigbee2mqtt', sensorsOf)).toEqual({
      gatewayId: 'gw-gone',
      messages: [],
    });
  });
});

describe('a relayed gateway status in the live state', () => {
  it('marks the seal not online, but is not a sign of life: its last-seen time stays', () => {
    const before = { ...initialSealState('z-1', AT - 60_000), online: true, lastSeen: AT - 60_000 };
    const [relayed] = gatewayStatusMessages(gateway, false, AT, 'zigbee2mqtt', sensorsOf)!.messages;
    const { state, doorEvents } = applyMessage(before, relayed!);
    expect(state).toMatchObject({ online: false, lastSeen: AT - 60_000 });
    expect(doorEvents).toEqual([]);
    // The sensor's own availability is a sign of life, as before.
    const own = applyMessage(before, {
      kind: 'status',
      sensorId: 'z-1',
      dialect: 'zigbee2mqtt',
      online: false,
      ts: AT,
      receivedAt: AT,
      seq: null,
    });
    expect(own.state.lastSeen).toBe(AT);
  });
});
