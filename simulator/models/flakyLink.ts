import { type Rng, uniform } from './rng.ts';

/**
 * A radio link that sometimes drops: at each heartbeat the link is lost with `dropProbability`, and stays down
 * for a uniformly drawn time. Models a weak signal through a steel door rather than a broken device.
 */
export interface FlakyLinkOptions {
  dropProbability: number;
  downForMs: readonly [number, number];
}

export class FlakyLink {
  readonly #options: FlakyLinkOptions;

  constructor(options: FlakyLinkOptions) {
    if (options.dropProbability < 0 || options.dropProbability > 1) {
      throw new Error('dropProbability must be within 0..1');
    }
    this.#options = options;
  }

  /** Returns how long the link goes down for, or null when it holds this time. */
  maybeDrop(rng: Rng): number | null {
    if (this.#options.dropProbability === 0 || rng.next() >= this.#options.dropProbability) return null;
    return Math.round(uniform(rng, this.#options.downForMs[0], this.#options.downForMs[1]));
  }
}

/** Received signal strength in dBm: a fixed placement loss per sensor plus small noise per message. */
export function rssiSample(baseDbm: number, rng: Rng): number {
  return Math.round(baseDbm + uniform(rng, -3, 3));
}

/** Zigbee link quality (0–255) roughly tracks RSSI. */
export function linkQualityFromRssi(rssiDbm: number): number {
  return Math.max(0, Math.min(255, Math.round((rssiDbm + 100) * 4)));
}
