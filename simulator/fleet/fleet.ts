import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLatencyHistogram, type LatencySummary, recordMs, summarizeLatency } from '../load/latency.ts';
import { Battery } from '../models/battery.ts';
import { DoorHabits } from '../models/doorHabits.ts';
import { FlakyLink } from '../models/flakyLink.ts';
import { childSeed, createRng, type Rng, uniform } from '../models/rng.ts';
import { Link, LinkError } from '../mqtt/link.ts';
import { ConnectQueue } from './connectQueue.ts';
import type { SensorCredential } from './credentials.ts';
import { type Dialect, SimDevice, type Transmission, viaGateway } from './device.ts';
import { statusOnline, statusWill } from './payloads.ts';

export interface FleetOptions {
  url: string;
  sensors: readonly SensorCredential[];
  dialect: Dialect;
  /** Zigbee2MQTT only: the gateway's credential; all sensors are carried by its one connection. */
  gateway?: { username: string; password: string };
  heartbeatMs: number;
  /** Each interval is drawn within ±jitter of heartbeatMs (fraction). */
  jitter: number;
  qos: 0 | 1;
  seed: number;
  opensPerDay: number;
  batteryStart: readonly [number, number];
  drainPerHour: number;
  flakyProbability: number;
  flakyDownMs: readonly [number, number];
  stormAtMs?: number;
  /** Reconnects after a storm all start within this span. */
  stormSpreadMs: number;
  connectRatePerSec: number;
  maxConnecting: number;
  keepaliveSec: number;
  /** Local addresses the connections leave from, round-robin (mqtt:// only); none: the system's choice. */
  sourceAddresses?: readonly string[];
}

export interface FleetSnapshot {
  sensors: number;
  connections: number;
  connected: number;
  connecting: number;
  sent: number;
  acked: number;
  errors: number;
  refused: number;
  reconnects: number;
  linkDrops: number;
  missed: number;
  opens: number;
  storms: number;
  flat: number;
  lastError: string | null;
}

export interface FleetSummary extends FleetSnapshot {
  mode: 'fleet';
  url: string;
  dialect: Dialect;
  qos: 0 | 1;
  heartbeatMs: number;
  runMs: number;
  peakConnected: number;
  /** Time from start until every connection was up once (null if that never happened). */
  initialConnectMs: number | null;
  connectsPerSec: number | null;
  connectLatencyMs: LatencySummary;
  /** Once every connection was up (the whole run if that never happened); after the last storm if there was one. */
  pubackLatencyMs: LatencySummary;
  /** From every connection up to the first storm (null without a storm): the steady state before it. */
  pubackLatencyBeforeStormMs: LatencySummary | null;
  sentPerSec: number;
  /** Send rate once every connection was up (excludes the ramp); null if that never happened. */
  steadySentPerSec: number | null;
  /** The simulator's own event-loop delay once all were up: high means the simulator is the bottleneck. */
  eventLoopDelayP99Ms: number;
  rssMiB: number;
}

/** A connection and the devices it carries: one each natively, many behind a Zigbee gateway. */
interface Unit {
  link: Link;
  devices: SimDevice[];
  rng: Rng;
  wanted: boolean;
  attempts: number;
  everUp: boolean;
  reconnectTimer: NodeJS.Timeout | null;
}

export class Fleet {
  readonly #o: FleetOptions;
  readonly #units: Unit[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #queue: ConnectQueue;
  readonly #habits: DoorHabits;
  readonly #flaky: FlakyLink;
  readonly #connectLatency = createLatencyHistogram();
  readonly #pubackLatency = createLatencyHistogram();
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 20 });
  readonly #stats = {
    connected: 0,
    connecting: 0,
    sent: 0,
    acked: 0,
    errors: 0,
    refused: 0,
    reconnects: 0,
    linkDrops: 0,
    missed: 0,
    opens: 0,
    storms: 0,
    flat: 0,
    lastError: null as string | null,
  };
  #startedAt = 0;
  #initialConnectMs: number | null = null;
  #sentWhenAllUp = 0;
  #everUpCount = 0;
  #peakConnected = 0;
  #stopped = false;
  #pubackBeforeStorm: LatencySummary | null = null;

  constructor(options: FleetOptions) {
    if (viaGateway(options.dialect) && !options.gateway) {
      throw new Error(`the ${options.dialect} dialect needs a gateway credential`);
    }
    this.#o = options;
    this.#queue = new ConnectQueue(options.connectRatePerSec, options.maxConnecting);
    this.#habits = new DoorHabits({ opensPerDay: options.opensPerDay });
    this.#flaky = new FlakyLink({
      dropProbability: options.flakyProbability,
      downForMs: options.flakyDownMs,
    });
  }

  start(): void {
    const o = this.#o;
    const now = Date.now();
    this.#startedAt = now;
    this.#loopDelay.enable();
    const devices = o.sensors.map((s, i) => {
      const rng = createRng(childSeed(o.seed, i));
      return new SimDevice({
        sensorId: s.sensorId,
        dialect: o.dialect,
        rng,
        battery: new Battery(
          {
            startPercent: uniform(rng, o.batteryStart[0], o.batteryStart[1]),
            drainPerHour: o.drainPerHour,
            drainPerMessage: 0.0005,
          },
          now,
        ),
        rssiBase: Math.round(uniform(rng, -90, -55)),
        nowMs: now,
      });
    });
    if (viaGateway(o.dialect) && o.gateway) {
      const unit = this.#unit(devices, createRng(childSeed(o.seed, -1)));
      unit.link = this.#newLink(unit, o.gateway.username, o.gateway.password, null, 0);
      this.#units.push(unit);
    } else {
      devices.forEach((device, i) => {
        const credential = o.sensors[i]!;
        const unit = this.#unit([device], createRng(childSeed(o.seed, 1_000_000 + i)));
        unit.link = this.#newLink(unit, device.sensorId, credential.secret, device.sensorId, i);
        this.#units.push(unit);
      });
    }
    for (const unit of this.#units) this.#queue.push(() => this.#connect(unit));
    if (o.stormAtMs !== undefined) this.#after(o.stormAtMs, () => this.storm());
  }

  snapshot(): FleetSnapshot {
    return { sensors: this.#o.sensors.length, connections: this.#units.length, ...this.#stats };
  }

  /** Every connection drops at once and all come back together: what a broker restart looks like to devices. */
  storm(reconnectAfterMs: readonly [number, number] = [0, this.#o.stormSpreadMs]): void {
    this.#stats.storms += 1;
    // The steady state's acknowledgements stay apart from the storm's (reconnects queue behind logins).
    if (this.#pubackBeforeStorm === null) {
      this.#pubackBeforeStorm = summarizeLatency(this.#pubackLatency);
      this.#pubackLatency.reset();
    }
    for (const unit of this.#units) {
      if (unit.link.state !== 'up') continue;
      unit.link.drop();
      this.#stats.connected -= 1;
      this.#later(unit, uniform(unit.rng, reconnectAfterMs[0], reconnectAfterMs[1]), false);
    }
  }

  async stop(): Promise<FleetSummary> {
    this.#stopped = true;
    const connectedAtStop = this.#stats.connected;
    this.#queue.stop();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const unit of this.#units) {
      unit.wanted = false;
      if (unit.reconnectTimer) clearTimeout(unit.reconnectTimer);
      // Abrupt, like devices losing power: the broker publishes each will (`offline`).
      unit.link.drop();
    }
    this.#loopDelay.disable();
    const runMs = Date.now() - this.#startedAt;
    const snap = { ...this.snapshot(), connected: connectedAtStop };
    this.#stats.connected = 0;
    const steadyMs = this.#initialConnectMs === null ? 0 : runMs - this.#initialConnectMs;
    return {
      mode: 'fleet',
      url: this.#o.url,
      dialect: this.#o.dialect,
      qos: this.#o.qos,
      heartbeatMs: this.#o.heartbeatMs,
      runMs,
      ...snap,
      peakConnected: this.#peakConnected,
      initialConnectMs: this.#initialConnectMs,
      connectsPerSec: this.#initialConnectMs
        ? Math.round((this.#units.length / this.#initialConnectMs) * 1000)
        : null,
      connectLatencyMs: summarizeLatency(this.#connectLatency),
      pubackLatencyMs: summarizeLatency(this.#pubackLatency),
      pubackLatencyBeforeStormMs: this.#pubackBeforeStorm,
      sentPerSec: runMs > 0 ? Math.round((snap.sent / runMs) * 10_000) / 10 : 0,
      steadySentPerSec:
        steadyMs > 0 ? Math.round(((snap.sent - this.#sentWhenAllUp) / steadyMs) * 10_000) / 10 : null,
      eventLoopDelayP99Ms: Math.round(this.#loopDelay.percentile(99) / 1e4) / 100,
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  }

  #unit(devices: SimDevice[], rng: Rng): Unit {
    // The link is attached right after: it needs the unit for its loss handler.
    const link = undefined as unknown as Link;
    return { link, devices, rng, wanted: true, attempts: 0, everUp: false, reconnectTimer: null };
  }

  #newLink(unit: Unit, username: string, password: string, willFor: string | null, index: number): Link {
    const sources = this.#o.sourceAddresses ?? [];
    return new Link({
      url: this.#o.url,
      clientId: username,
      username,
      password,
      keepaliveSec: this.#o.keepaliveSec,
      ...(sources.length > 0 ? { localAddress: sources[index % sources.length] as string } : {}),
      ...(willFor ? { will: { ...statusWill(willFor), qos: 1 as const } } : {}),
      onLost: () => {
        this.#stats.connected -= 1;
        if (unit.wanted && !this.#stopped) this.#later(unit, this.#backoff(unit), true);
      },
    });
  }

  #backoff(unit: Unit): number {
    return Math.min(30_000, 1000 * 2 ** Math.min(unit.attempts, 5)) * uniform(unit.rng, 0.5, 1.5);
  }

  /** Schedules a reconnect; paced ones go through the queue, storm returns do not. */
  #later(unit: Unit, delayMs: number, paced: boolean): void {
    if (unit.reconnectTimer) clearTimeout(unit.reconnectTimer);
    unit.reconnectTimer = setTimeout(() => {
      unit.reconnectTimer = null;
      if (this.#stopped || !unit.wanted) return;
      this.#stats.reconnects += 1;
      if (paced) this.#queue.push(() => this.#connect(unit));
      else void this.#connect(unit);
    }, delayMs);
  }

  async #connect(unit: Unit): Promise<void> {
    if (this.#stopped || unit.link.state !== 'down') return;
    this.#stats.connecting += 1;
    const t0 = performance.now();
    try {
      await unit.link.connect();
    } catch (err) {
      this.#stats.connecting -= 1;
      this.#stats.errors += 1;
      if (err instanceof LinkError && err.refused) this.#stats.refused += 1;
      this.#stats.lastError = (err as Error).message;
      unit.attempts += 1;
      if (!this.#stopped) this.#later(unit, this.#backoff(unit), true);
      return;
    }
    this.#stats.connecting -= 1;
    if (this.#stopped) {
      unit.link.drop();
      return;
    }
    recordMs(this.#connectLatency, performance.now() - t0);
    unit.attempts = 0;
    this.#stats.connected += 1;
    this.#peakConnected = Math.max(this.#peakConnected, this.#stats.connected);
    if (!unit.everUp) {
      unit.everUp = true;
      this.#everUpCount += 1;
      if (this.#everUpCount === this.#units.length) {
        this.#initialConnectMs = Date.now() - this.#startedAt;
        this.#sentWhenAllUp = this.#stats.sent;
        // From here on the figures describe the steady state, not the ramp-up.
        this.#loopDelay.reset();
        this.#pubackLatency.reset();
      }
      this.#startDeviceRoutines(unit);
    }
    if (this.#o.dialect === 'native') {
      const online = statusOnline(unit.devices[0]!.sensorId);
      this.#send(unit, online.topic, online.payload, online.retain);
    }
    // A device that rejoins reports at once, as real seals do after a link loss.
    for (const device of unit.devices) this.#transmit(unit, device, 'heartbeat');
  }

  #startDeviceRoutines(unit: Unit): void {
    const o = this.#o;
    for (const device of unit.devices) {
      const beat = () => {
        if (device.battery.flat) return this.#goFlat(unit, device);
        this.#transmit(unit, device, 'heartbeat');
        this.#after(o.heartbeatMs * uniform(unit.rng, 1 - o.jitter, 1 + o.jitter), beat);
      };
      this.#after(o.heartbeatMs * uniform(unit.rng, 1 - o.jitter, 1 + o.jitter), beat);
      const scheduleOpening = (from: number) => {
        const opening = this.#habits.nextOpening(from, unit.rng);
        if (!opening) return;
        this.#after(opening.openAt - Date.now(), () => {
          this.#stats.opens += 1;
          this.#transmit(unit, device, 'open');
          this.#after(opening.closeAt - opening.openAt, () => {
            this.#transmit(unit, device, 'close');
            scheduleOpening(Date.now());
          });
        });
      };
      scheduleOpening(Date.now());
    }
    if (o.flakyProbability > 0) {
      const check = () => {
        const down = unit.link.state === 'up' ? this.#flaky.maybeDrop(unit.rng) : null;
        if (down !== null) {
          this.#stats.linkDrops += 1;
          this.#stats.connected -= 1;
          unit.link.drop();
          this.#later(unit, down, true);
        }
        this.#after(o.heartbeatMs, check);
      };
      this.#after(o.heartbeatMs * uniform(unit.rng, 0.5, 1.5), check);
    }
  }

  #goFlat(unit: Unit, device: SimDevice): void {
    this.#stats.flat += 1;
    if (unit.devices.length === 1) {
      unit.wanted = false;
      if (unit.link.state === 'up') this.#stats.connected -= 1;
      unit.link.drop();
    }
    device.battery.set(0);
  }

  #transmit(unit: Unit, device: SimDevice, kind: Transmission): void {
    if (device.battery.flat) return;
    const message = device.transmit(kind, Date.now());
    this.#send(unit, message.topic, message.payload, message.retain);
  }

  #send(unit: Unit, topic: string, payload: string, retain: boolean): void {
    if (unit.link.state !== 'up') {
      this.#stats.missed += 1;
      return;
    }
    this.#stats.sent += 1;
    const t0 = performance.now();
    unit.link.publish(topic, payload, this.#o.qos, retain).then(
      () => {
        this.#stats.acked += 1;
        if (this.#o.qos === 1) recordMs(this.#pubackLatency, performance.now() - t0);
      },
      (err: Error) => {
        this.#stats.errors += 1;
        this.#stats.lastError = err.message;
      },
    );
  }

  #after(delayMs: number, fn: () => void): void {
    if (this.#stopped) return;
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        if (!this.#stopped) fn();
      },
      Math.max(0, delayMs),
    );
    this.#timers.add(timer);
  }
}
