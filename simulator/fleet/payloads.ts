import {
  type NativeEvent,
  type NativeHeartbeat,
  STATUS_OFFLINE,
  STATUS_ONLINE,
  sealTopic,
  shellyTopic,
  zigbee2mqttTopic,
} from '../../contract/topics.ts';

/** What a simulated device knows about itself when it transmits. */
export interface DeviceReading {
  sensorId: string;
  friendlyName: string;
  ts: number;
  seq: number;
  doorOpen: boolean;
  battery: number;
  rssi: number;
  linkQuality: number;
  voltageMv: number;
  tamper: boolean;
}

export interface OutgoingMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

export const statusOnline = (sensorId: string): OutgoingMessage => ({
  topic: sealTopic(sensorId, 'status'),
  payload: STATUS_ONLINE,
  retain: true,
});

export const statusWill = (sensorId: string) => ({
  topic: sealTopic(sensorId, 'status'),
  payload: STATUS_OFFLINE,
  retain: true,
});

export function nativeHeartbeat(r: DeviceReading): OutgoingMessage {
  const body: NativeHeartbeat = {
    ts: r.ts,
    seq: r.seq,
    door: r.doorOpen ? 'open' : 'closed',
    battery: r.battery,
    rssi: r.rssi,
  };
  return { topic: sealTopic(r.sensorId, 'heartbeat'), payload: JSON.stringify(body), retain: false };
}

export function nativeEvent(r: DeviceReading, type: NativeEvent['type']): OutgoingMessage {
  const body: NativeEvent = { type, ts: r.ts, seq: r.seq };
  return { topic: sealTopic(r.sensorId, 'event'), payload: JSON.stringify(body), retain: false };
}

/** Zigbee2MQTT's state message for a contact sensor: every message carries the full state. */
export function zigbee2mqttState(r: DeviceReading): OutgoingMessage {
  const body = {
    contact: !r.doorOpen,
    battery: r.battery,
    linkquality: r.linkQuality,
    tamper: r.tamper,
    voltage: r.voltageMv,
  };
  return { topic: zigbee2mqttTopic(r.friendlyName), payload: JSON.stringify(body), retain: false };
}

/**
 * Shelly Door/Window 2 (Gen1 MQTT): a wake-up reports the battery (the periodic message), a door
 * change the state. Its heartbeat carries no door position (see ingest/decoders/shelly.ts).
 */
export function shellyMessage(
  r: DeviceReading,
  kind: 'heartbeat' | 'open' | 'close' | 'tamper',
): OutgoingMessage {
  if (kind === 'open' || kind === 'close')
    return { topic: shellyTopic(r.friendlyName, 'sensor/state'), payload: kind, retain: false };
  return {
    topic: shellyTopic(r.friendlyName, 'sensor/battery'),
    payload: String(Math.round(r.battery)),
    retain: false,
  };
}

/** Sequence numbers are uint32; starting from the clock keeps a re-run from reusing last run's numbers. */
export const initialSeq = (nowMs: number): number => nowMs % 0x1_0000_0000;
export const nextSeq = (seq: number): number => (seq + 1) % 0x1_0000_0000;
