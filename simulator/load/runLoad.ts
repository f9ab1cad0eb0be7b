import { ConnectQueue } from '../fleet/connectQueue.ts';
import type { SensorCredential } from '../fleet/credentials.ts';
import { SimDevice } from '../fleet/device.ts';
import { Battery } from '../models/battery.ts';
import { childSeed, createRng } from '../models/rng.ts';
import { Link } from '../mqtt/link.ts';
import { createLatencyHistogram, type LatencySummary, recordMs, summarizeLatency } from './latency.ts';

/**
 * The load generator behind `simulate load` and the benchmarks: many connections publishing valid heartbeats,
 * either at a fixed total rate (open loop: what cannot be sent on time is counted as skipped, never queued) or
 * as fast as the broker acknowledges (closed loop, `inflight` outstanding messages per connection).
 */
export interface LoadOptions {
  url: string;
  connections: number;
  qos: 0 | 1;
  /** Total messages per second; omit for maximum rate. */
  rate?: number;
  durationMs?: number;
  count?: number;
  /** Outstanding (unacknowledged) messages allowed per connection. */
  inflight?: number;
  /** One per connection (username = sensor id); without them connections are anonymous `load-…` ids. */
  credentials?: readonly SensorCredential[];
  clientIdPrefix?: string;
  connectRatePerSec?: number;
  /** How long to wait for outstanding PUBACKs after the last send. */
  drainMs?: number;
  progressIntervalMs?: number;
  onProgress?: (snapshot: LoadSnapshot) => void;
  /** Ends the run early (Ctrl-C); the summary covers what happened so far. */
  signal?: AbortSignal;
}

export interface LoadSnapshot {
  phase: 'connecting' | 'sending' | 'draining';
  elapsedMs: number;
  connected: number;
  connections: number;
  sent: number;
  acked: number;
  errors: number;
  reconnects: number;
  skipped: number;
  sentPerSec: number;
  ackedPerSec: number;
  /** PUBACK latency over the last progress interval. */
  recentLatencyMs: LatencySummary;
}

export interface LoadSummary {
  mode: 'load';
  url: string;
  qos: 0 | 1;
  connections: number;
  connected: number;
  targetRate: number | null;
  inflight: number;
  sendMs: number;
  sent: number;
  acked: number;
  unacked: number;
  errors: number;
  reconnects: number;
  skipped: number;
  sentPerSec: number;
  ackedPerSec: number;
  pubackLatencyMs: LatencySummary | null;
  connectMs: number;
  connectsPerSec: number;
  interrupted: boolean;
  lastError: string | null;
  startedAt: string;
}

interface Connection {
  link: Link;
  device: SimDevice;
  outstanding: number;
  reconnecting: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  if (options.durationMs === undefined && options.count === undefined) {
    throw new Error('runLoad needs durationMs and/or count to bound the run');
  }
  if (options.credentials && options.credentials.length < options.connections) {
    throw new Error(
      `runLoad: ${options.connections} connections but only ${options.credentials.length} credentials`,
    );
  }
  const inflight = options.inflight ?? (options.rate === undefined ? 64 : 1000);
  const prefix = options.clientIdPrefix ?? `load-${process.pid}`;
  const startedAt = new Date().toISOString();
  const total = createLatencyHistogram();
  let recent = createLatencyHistogram();
  const s = { sent: 0, acked: 0, errors: 0, reconnects: 0, skipped: 0, connected: 0 };
  let publishErrors = 0;
  let lastError: string | null = null;
  let phase: LoadSnapshot['phase'] = 'connecting';
  let stopping = false;
  let sendStart = 0;
  let sendEnd = 0;
  const aborted = () => options.signal?.aborted === true;

  const now = Date.now();
  const connections: Connection[] = Array.from({ length: options.connections }, (_, i) => {
    const credential = options.credentials?.[i];
    const clientId = credential?.sensorId ?? `${prefix}-${i}`;
    const rng = createRng(childSeed(i, 7));
    const device = new SimDevice({
      sensorId: clientId,
      dialect: 'native',
      rng,
      battery: new Battery({ startPercent: 90, drainPerHour: 0 }, now),
      rssiBase: -70,
      nowMs: now,
    });
    const conn: Connection = {
      link: undefined as unknown as Link,
      device,
      outstanding: 0,
      reconnecting: false,
    };
    conn.link = new Link({
      url: options.url,
      clientId,
      username: clientId,
      password: credential?.secret ?? 'load',
      keepaliveSec: 60,
      onLost: () => {
        s.connected -= 1;
        void reconnect(conn);
      },
    });
    return conn;
  });

  async function reconnect(conn: Connection): Promise<void> {
    if (conn.reconnecting) return;
    conn.reconnecting = true;
    while (!stopping && !aborted() && conn.link.state === 'down') {
      await sleep(500);
      s.reconnects += 1;
      try {
        await conn.link.connect();
        s.connected += 1;
      } catch (err) {
        s.errors += 1;
        lastError = (err as Error).message;
      }
    }
    conn.reconnecting = false;
  }

  function snapshot(elapsedMs: number, sentPerSec: number, ackedPerSec: number): LoadSnapshot {
    return {
      phase,
      elapsedMs,
      connections: connections.length,
      ...s,
      sentPerSec,
      ackedPerSec,
      recentLatencyMs: summarizeLatency(recent),
    };
  }

  const began = performance.now();
  let lastTick = { at: began, sent: 0, acked: 0 };
  const progressTimer = setInterval(() => {
    const t = performance.now();
    const dt = (t - lastTick.at) / 1000;
    const snap = snapshot(
      t - (sendStart || began),
      (s.sent - lastTick.sent) / dt,
      (s.acked - lastTick.acked) / dt,
    );
    lastTick = { at: t, sent: s.sent, acked: s.acked };
    recent = createLatencyHistogram();
    options.onProgress?.(snap);
  }, options.progressIntervalMs ?? 1000);

  // Connect everything first, so the measured phase is steady-state publishing, not connection set-up.
  const queue = new ConnectQueue(options.connectRatePerSec ?? 500, 100);
  await new Promise<void>((resolve) => {
    let pending = connections.length;
    for (const conn of connections) {
      queue.push(async () => {
        try {
          if (!aborted()) {
            await conn.link.connect();
            s.connected += 1;
          }
        } catch (err) {
          s.errors += 1;
          lastError = (err as Error).message;
          void reconnect(conn);
        } finally {
          pending -= 1;
          if (pending === 0) resolve();
        }
      });
    }
  });
  const connectMs = performance.now() - began;

  const send = (conn: Connection): boolean => {
    if (conn.link.state !== 'up' || conn.outstanding >= inflight) return false;
    const message = conn.device.transmit('heartbeat', Date.now());
    conn.outstanding += 1;
    s.sent += 1;
    const t0 = performance.now();
    conn.link.publish(message.topic, message.payload, options.qos).then(
      () => {
        conn.outstanding -= 1;
        s.acked += 1;
        if (options.qos === 1) {
          const ms = performance.now() - t0;
          recordMs(total, ms);
          recordMs(recent, ms);
        }
        if (options.rate === undefined) pumpMax(conn);
      },
      (err: Error) => {
        conn.outstanding -= 1;
        s.errors += 1;
        publishErrors += 1;
        lastError = err.message;
        if (options.rate === undefined) setTimeout(() => pumpMax(conn), 100);
      },
    );
    return true;
  };

  const budgetLeft = () => options.count === undefined || s.sent < options.count;
  const sending = () => !stopping && !aborted() && budgetLeft();

  function pumpMax(conn: Connection): void {
    while (sending() && send(conn)) {
      // keeps the window full
    }
  }

  phase = 'sending';
  sendStart = performance.now();
  lastTick = { at: sendStart, sent: 0, acked: 0 };
  const deadline =
    options.durationMs === undefined ? Number.POSITIVE_INFINITY : sendStart + options.durationMs;

  if (options.rate === undefined) {
    for (const conn of connections) pumpMax(conn);
    // Connections that come back after a drop need a nudge to refill their window.
    while (sending() && performance.now() < deadline) {
      await sleep(50);
      for (const conn of connections) if (conn.outstanding === 0) pumpMax(conn);
    }
  } else {
    let next = 0;
    while (sending() && performance.now() < deadline) {
      const due = Math.floor(((performance.now() - sendStart) / 1000) * options.rate);
      let owed = due - (s.sent + s.skipped);
      if (options.count !== undefined) owed = Math.min(owed, options.count - s.sent);
      while (owed > 0) {
        let sent = false;
        for (let tries = 0; tries < connections.length && !sent; tries++) {
          sent = send(connections[next]!);
          next = (next + 1) % connections.length;
        }
        if (!sent) s.skipped += 1;
        owed -= 1;
      }
      await sleep(2);
    }
  }
  sendEnd = performance.now();
  stopping = true;
  phase = 'draining';
  const drainUntil = performance.now() + (options.drainMs ?? 5000);
  while (connections.some((c) => c.outstanding > 0) && performance.now() < drainUntil && !aborted()) {
    await sleep(20);
  }
  clearInterval(progressTimer);
  queue.stop();
  const connectedAtEnd = connections.filter((c) => c.link.state === 'up').length;
  await Promise.all(connections.map((c) => c.link.close()));
  const sendMs = Math.max(1, sendEnd - sendStart);
  const latency = options.qos === 1 ? summarizeLatency(total) : null;
  return {
    mode: 'load',
    url: options.url,
    qos: options.qos,
    connections: connections.length,
    connected: connectedAtEnd,
    targetRate: options.rate ?? null,
    inflight,
    sendMs: Math.round(sendMs),
    sent: s.sent,
    acked: s.acked,
    unacked: s.sent - s.acked - publishErrors,
    errors: s.errors,
    reconnects: s.reconnects,
    skipped: s.skipped,
    sentPerSec: Math.round((s.sent / sendMs) * 1000),
    ackedPerSec: Math.round((s.acked / sendMs) * 1000),
    pubackLatencyMs: latency,
    connectMs: Math.round(connectMs),
    connectsPerSec: Math.round((connections.length / Math.max(1, connectMs)) * 1000),
    interrupted: aborted(),
    lastError,
    startedAt,
  };
}
