import { SimDevice, type Transmission } from '../fleet/device.ts';
import { statusOnline, statusWill } from '../fleet/payloads.ts';
import { Battery } from '../models/battery.ts';
import { createRng, uniform } from '../models/rng.ts';
import { Link } from '../mqtt/link.ts';

/** One sensor under a scenario's control: heartbeats on its own, everything else when a step says so. */
export class ScenarioSensor {
  readonly name: string;
  readonly sensorId: string;
  readonly device: SimDevice;
  /** Set by linkDrop: the link stays down until linkRestore, even across a broker restart. */
  dropped = false;
  silenced = false;
  #link: Link;
  #timer: NodeJS.Timeout | null = null;
  readonly #heartbeatMs: number;
  readonly #qos: 0 | 1;
  readonly #rng;
  readonly #onProblem: (text: string) => void;

  constructor(o: {
    name: string;
    sensorId: string;
    secret: string;
    url: string;
    heartbeatMs: number;
    qos: 0 | 1;
    seed: number;
    onProblem: (text: string) => void;
  }) {
    this.name = o.name;
    this.sensorId = o.sensorId;
    this.#heartbeatMs = o.heartbeatMs;
    this.#qos = o.qos;
    this.#onProblem = o.onProblem;
    this.#rng = createRng(o.seed);
    const now = Date.now();
    this.device = new SimDevice({
      sensorId: o.sensorId,
      dialect: 'native',
      rng: this.#rng,
      battery: new Battery({ startPercent: 95, drainPerHour: 0 }, now),
      rssiBase: -65,
      nowMs: now,
    });
    this.#link = new Link({
      url: o.url,
      clientId: o.sensorId,
      username: o.sensorId,
      password: o.secret,
      keepaliveSec: 30,
      will: { ...statusWill(o.sensorId), qos: 1 },
      onLost: () => this.#onProblem(`${this.name}: connection lost unexpectedly`),
    });
  }

  get up(): boolean {
    return this.#link.state === 'up';
  }

  async connect(): Promise<void> {
    if (this.#link.state !== 'down') return;
    await this.#link.connect();
    const online = statusOnline(this.sensorId);
    await this.#link.publish(online.topic, online.payload, 1, true);
    await this.send('heartbeat');
    this.#schedule();
  }

  /** Sends unless the sensor is silenced or its link is down; returns whether it went out. */
  async send(kind: Transmission): Promise<boolean> {
    if (kind === 'open' || kind === 'close') this.device.doorOpen = kind === 'open';
    if (this.silenced || !this.up) return false;
    const message = this.device.transmit(kind, Date.now());
    try {
      await this.#link.publish(message.topic, message.payload, this.#qos, message.retain);
      return true;
    } catch (err) {
      this.#onProblem(`${this.name}: ${kind} not delivered: ${(err as Error).message}`);
      return false;
    }
  }

  drop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#link.drop();
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        if (!this.up) return;
        void this.send('heartbeat').finally(() => {
          if (this.up && !this.#timer) this.#schedule();
        });
      },
      this.#heartbeatMs * uniform(this.#rng, 0.95, 1.05),
    );
  }
}
