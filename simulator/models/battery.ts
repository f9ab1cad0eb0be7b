/**
 * A coin cell that drains with time and with every radio transmission. Levels are whole percent as sensors
 * report them; a flat battery (0 %) means the sensor falls silent.
 */
export interface BatteryOptions {
  startPercent: number;
  /** Self-discharge and idle drain, percent per hour. */
  drainPerHour: number;
  /** Extra drain per transmitted message, percent. */
  drainPerMessage?: number;
}

export class Battery {
  #level: number;
  #lastMs: number;
  readonly #perMs: number;
  readonly #perMessage: number;

  constructor(options: BatteryOptions, nowMs: number) {
    this.#level = Math.min(100, Math.max(0, options.startPercent));
    this.#lastMs = nowMs;
    this.#perMs = options.drainPerHour / 3_600_000;
    this.#perMessage = options.drainPerMessage ?? 0;
  }

  /** Advances the drain to `nowMs` and returns the level as the sensor would report it. */
  levelAt(nowMs: number): number {
    if (nowMs > this.#lastMs) {
      this.#level = Math.max(0, this.#level - (nowMs - this.#lastMs) * this.#perMs);
      this.#lastMs = nowMs;
    }
    return Math.floor(this.#level);
  }

  onTransmit(): void {
    this.#level = Math.max(0, this.#level - this.#perMessage);
  }

  /** A technician replaced the battery or a scenario forces a level. */
  set(percent: number): void {
    this.#level = Math.min(100, Math.max(0, percent));
  }

  get flat(): boolean {
    return this.#level <= 0;
  }

  /** Cell voltage in mV as Zigbee2MQTT reports it: ~2.1 V empty to ~3.0 V full for a CR2032. */
  voltageMv(nowMs: number): number {
    return Math.round(2100 + 9 * this.levelAt(nowMs));
  }
}
