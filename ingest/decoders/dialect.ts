/**
 * A dialect turns one MQTT message into internal SealMessages. Adding a
 * vendor means adding one file here and one line in ./index.ts.
 */
import type { RejectReason } from '../../core/events.ts';
import type { SealMessage } from '../../core/sealMessage.ts';

export interface DecodeContext {
  receivedAt: number;
  /** Maps a dialect's device name (e.g. a Zigbee2MQTT friendly name) to our sensor id. */
  sensorIdForName(name: string): string | undefined;
}

export type DecodeResult =
  | {
      ok: true;
      messages: SealMessage[];
      /** Fields left out because their value was unusable (counted, never a reason to drop the rest). */
      ignored?: readonly string[];
      /**
       * The publishing gateway's own availability (a Zigbee2MQTT bridge's `bridge/state`): the topic
       * names no sensor, the publisher is the gateway (ingest/gatewayAvailability.ts).
       */
      gatewayOnline?: boolean;
    }
  | { ok: false; reason: RejectReason; detail: string; sensorId: string | null };

export interface DialectDecoder {
  readonly name: SealMessage['dialect'];
  /** MQTT topic filters that carry this dialect: what the service subscribes to on an external broker. */
  readonly topicFilters: readonly string[];
  /** Cheap topic test; decode() is only called when this is true. */
  matches(topic: string): boolean;
  decode(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult;
}

/** One decoded message; `ignored` names fields left out because their value was unusable. */
export const ok = (message: SealMessage, ignored: readonly string[] = []): DecodeResult =>
  ignored.length > 0 ? { ok: true, messages: [message], ignored } : { ok: true, messages: [message] };

export const reject = (
  reason: RejectReason,
  detail: string,
  sensorId: string | null = null,
): DecodeResult => ({
  ok: false,
  reason,
  detail,
  sensorId,
});

export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}
