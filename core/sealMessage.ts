/**
 * The one internal message every dialect decodes to. Rules, state and
 * telemetry never know which dialect or connection a message came from.
 */
/** `ctwing` and `onenet`: NB-IoT seals whose carrier platform pushes their messages over HTTP (ingest/platforms/). */
export type Dialect = 'native' | 'zigbee2mqtt' | 'shelly' | 'ctwing' | 'onenet';

export type SealMessage = SealMessageBody & {
  /** The device's own time before clamping; duplicates are recognised by it. */
  deviceTs?: number;
};

type SealMessageBody =
  | {
      kind: 'door';
      sensorId: string;
      dialect: Dialect;
      door: 'open' | 'closed';
      /** Device timestamp after clamping (epoch ms). */
      ts: number;
      /** Server receive time (epoch ms). */
      receivedAt: number;
      /** Device sequence number; null for dialects without one. */
      seq: number | null;
    }
  | {
      kind: 'tamper';
      sensorId: string;
      dialect: Dialect;
      ts: number;
      receivedAt: number;
      seq: number | null;
    }
  | {
      kind: 'heartbeat';
      sensorId: string;
      dialect: Dialect;
      ts: number;
      receivedAt: number;
      seq: number | null;
      door: 'open' | 'closed' | null;
      battery: number | null;
      /** The device's own "battery almost empty" flag (Zigbee2MQTT `battery_low`), when it sends one. */
      batteryLow?: boolean;
      rssi: number | null;
      tamper?: boolean;
    }
  | {
      kind: 'status';
      sensorId: string;
      dialect: Dialect;
      online: boolean;
      ts: number;
      receivedAt: number;
      /**
       * null for a connection's own status (MQTT). A carrier platform's online/offline event, which
       * the platform retries like any push, carries a negative mark (never a device's uint32) so that
       * its retry is recognised by (mark, platform time) like a device message's by (seq, ts).
       */
      seq: number | null;
      /**
       * Set when the status is not the sensor's own but its gateway's (a Zigbee2MQTT bridge going
       * offline or coming back, ingest/gatewayAvailability.ts): the sensor itself said nothing, so it
       * does not count as heard from; alerting judges the gateway (alerting/rules/gatewayOutage.ts).
       */
      gatewayId?: string;
    };
