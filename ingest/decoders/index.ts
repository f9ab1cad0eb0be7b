import type { DialectDecoder } from './dialect.ts';
import { nativeDecoder } from './native.ts';
import { shellyDecoder } from './shelly.ts';
import { zigbee2mqttDecoder } from './zigbee2mqtt.ts';

/** Every dialect the service understands. A new vendor: one file, one line here. */
export const DECODERS: readonly DialectDecoder[] = [nativeDecoder, zigbee2mqttDecoder, shellyDecoder];

export const decoderFor = (topic: string): DialectDecoder | undefined =>
  DECODERS.find((d) => d.matches(topic));

/**
 * Which registered sensor a topic speaks for, without decoding the payload:
 * used to keep scoped service clients from reading other grids' seals.
 */
export function sensorIdForTopic(
  topic: string,
  sensorIdForName: (name: string) => string | undefined,
): string | undefined {
  const parts = topic.split('/');
  if (parts[0] === 'seal') return parts[1];
  if (parts[0] === 'zigbee2mqtt')
    return sensorIdForName(
      parts
        .slice(1)
        .join('/')
        .replace(/\/availability$/, ''),
    );
  if (parts[0] === 'shellies') return parts[1] === undefined ? undefined : sensorIdForName(parts[1]);
  return undefined;
}
