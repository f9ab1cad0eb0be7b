import type { Battery } from '../models/battery.ts';
import { linkQualityFromRssi, rssiSample } from '../models/flakyLink.ts';
import type { Rng } from '../models/rng.ts';
import {
  type DeviceReading,
  initialSeq,
  nativeEvent,
  nativeHeartbeat,
  nextSeq,
  type OutgoingMessage,
  shellyMessage,
  zigbee2mqttState,
} from './payloads.ts';

export type Dialect = 'native' | 'zigbee2mqtt' | 'shelly';
/** Dialects whose devices publish through one gateway login under their friendly names. */
export const viaGateway = (d: Dialect): boolean => d !== 'native';
export type Transmission = 'heartbeat' | 'open' | 'close' | 'tamper';

/**
 * A door seal's own state: its sequence counter (shared by heartbeats and events), door, battery and radio.
 * It turns "what happened" into the message its dialect puts on the wire; sending is someone else's job.
 */
export class SimDevice {
  readonly sensorId: string;
  readonly friendlyName: string;
  readonly dialect: Dialect;
  readonly battery: Battery;
  doorOpen = false;
  #seq: number;
  readonly #rssiBase: number;
  readonly #rng: Rng;

  constructor(options: {
    sensorId: string;
    friendlyName?: string;
    dialect: Dialect;
    rng: Rng;
    battery: Battery;
    rssiBase: number;
    nowMs: number;
  }) {
    this.sensorId = options.sensorId;
    this.friendlyName = options.friendlyName ?? options.sensorId;
    this.dialect = options.dialect;
    this.battery = options.battery;
    this.#rssiBase = options.rssiBase;
    this.#rng = options.rng;
    this.#seq = initialSeq(options.nowMs);
  }

  get seq(): number {
    return this.#seq;
  }

  /** Applies the physical change and returns the message to transmit (consuming one sequence number). */
  transmit(kind: Transmission, nowMs: number): OutgoingMessage {
    if (kind === 'open') this.doorOpen = true;
    if (kind === 'close') this.doorOpen = false;
    this.battery.onTransmit();
    const rssi = rssiSample(this.#rssiBase, this.#rng);
    const reading: DeviceReading = {
      sensorId: this.sensorId,
      friendlyName: this.friendlyName,
      ts: nowMs,
      seq: this.#seq,
      doorOpen: this.doorOpen,
      battery: this.battery.levelAt(nowMs),
      rssi,
      linkQuality: linkQualityFromRssi(rssi),
      voltageMv: this.battery.voltageMv(nowMs),
      tamper: kind === 'tamper',
    };
    this.#seq = nextSeq(this.#seq);
    if (this.dialect === 'zigbee2mqtt') return zigbee2mqttState(reading);
    if (this.dialect === 'shelly') return shellyMessage(reading, kind);
    return kind === 'heartbeat' ? nativeHeartbeat(reading) : nativeEvent(reading, kind);
  }
}
