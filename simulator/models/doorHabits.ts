import { exponential, type Rng, uniform } from './rng.ts';

/**
 * When a quarantined household's door opens. Openings are a non-homogeneous Poisson process whose rate follows
 * the hour of day: almost nothing at night, peaks around meal deliveries and the morning test round. The weights
 * are relative; `opensPerDay` scales them to the mean number of openings per household per day.
 */
export const DEFAULT_HOURLY_WEIGHTS: readonly number[] = [
  0.05, 0.02, 0.02, 0.02, 0.02, 0.1, 0.4, 1.2, 1.5, 1.0, 0.8, 1.4, 1.8, 1.0, 0.6, 0.6, 0.8, 1.3, 1.8, 1.2,
  0.7, 0.4, 0.2, 0.1,
];

export interface DoorHabitOptions {
  opensPerDay: number;
  hourlyWeights?: readonly number[];
  /** How long the door stays open, uniformly in this range (ms). */
  openForMs?: readonly [number, number];
  /** Maps a time to its local hour (0–23); injected so tests do not depend on the machine's time zone. */
  hourOf?: (ms: number) => number;
}

export interface DoorOpening {
  openAt: number;
  closeAt: number;
}

const HOUR_MS = 3_600_000;

export class DoorHabits {
  readonly #weights: readonly number[];
  readonly #maxRatePerMs: number;
  readonly #ratePerMsPerWeight: number;
  readonly #openFor: readonly [number, number];
  readonly #hourOf: (ms: number) => number;

  constructor(options: DoorHabitOptions) {
    const weights = options.hourlyWeights ?? DEFAULT_HOURLY_WEIGHTS;
    if (weights.length !== 24 || weights.some((w) => !(w >= 0))) {
      throw new Error('hourlyWeights must be 24 non-negative numbers');
    }
    this.#weights = weights;
    const meanWeight = weights.reduce((a, b) => a + b, 0) / 24;
    this.#ratePerMsPerWeight = meanWeight > 0 ? options.opensPerDay / (24 * HOUR_MS) / meanWeight : 0;
    this.#maxRatePerMs = Math.max(...weights) * this.#ratePerMsPerWeight;
    this.#openFor = options.openForMs ?? [5_000, 60_000];
    this.#hourOf = options.hourOf ?? ((ms) => new Date(ms).getHours());
  }

  /** Openings per ms at a given moment. */
  rateAt(ms: number): number {
    return (this.#weights[this.#hourOf(ms)] ?? 0) * this.#ratePerMsPerWeight;
  }

  /**
   * The next opening after `fromMs`, by thinning: draw candidates at the peak rate and keep each with probability
   * rate(t)/peak. Returns null when the door never opens (rate zero) or not within `horizonMs`.
   */
  nextOpening(fromMs: number, rng: Rng, horizonMs = 7 * 24 * HOUR_MS): DoorOpening | null {
    if (this.#maxRatePerMs <= 0) return null;
    let t = fromMs;
    while (t - fromMs < horizonMs) {
      t += exponential(rng, 1 / this.#maxRatePerMs);
      if (rng.next() * this.#maxRatePerMs <= this.rateAt(t)) {
        const openAt = Math.round(t);
        return { openAt, closeAt: openAt + Math.round(uniform(rng, this.#openFor[0], this.#openFor[1])) };
      }
    }
    return null;
  }
}
