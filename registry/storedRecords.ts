/**
 * Records as the stores keep them: the public shapes (schemas.ts) plus the hashes that never leave
 * the registry. The API sees the public shapes only.
 */
import type { Gateway, Sensor, Token } from './schemas.ts';

export interface SensorRow extends Sensor {
  secretHash: string;
}
export interface GatewayRow extends Gateway {
  secretHash: string;
}
export interface TokenRow extends Token {
  tokenHash: string;
}

/** A sensor without its secret hash. */
export function publicSensor(s: SensorRow): Sensor {
  const { secretHash: _, ...sensor } = s;
  return sensor;
}
