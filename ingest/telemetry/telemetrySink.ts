/**
 * The contract between ingest/alerting and whatever stores telemetry.
 *
 * `append` is the durability point: when it returns, the points survive a
 * `kill -9` of the process (they are in the spool's append-only segment, or
 * the sink keeps nothing durable at all, like the log sink). Ingest calls it
 * before it commits a message's state change and before the QoS 1 PUBACK.
 */
export type Measurement = 'door' | 'heartbeat' | 'alert';

export interface TelemetryPoint {
  measurement: Measurement;
  /**
   * Low-cardinality only: sensor, household, grid (leaf node id), model; alert: type, grid, sensor,
   * household, change; and one tag per grid level above the node (registry/gridLevelTags.ts).
   */
  tags: Record<string, string>;
  /** Numbers and booleans only: some compatible stores turn strings into zeros. */
  fields: Record<string, number | boolean>;
  /** Epoch milliseconds. */
  time: number;
}

export interface TelemetryStats {
  /** Points accepted but not yet written to the server. */
  queued: number;
  spooledBytes: number;
  written: number;
  retried: number;
  /** Points the server refused as bad (after splitting a batch down to the point). */
  refused: number;
  /** Points dropped because the spool reached its bound. */
  dropped: number;
  /** Points written 1 ms or more after their own time, because an earlier point of their series had that millisecond. */
  movedInTime: number;
}

export interface TelemetrySink {
  readonly kind: string;
  append(points: readonly TelemetryPoint[]): void;
  start(): Promise<void>;
  /** Flushes what it can within the deadline; what remains stays spooled. */
  stop(): Promise<void>;
  stats(): TelemetryStats;
}
