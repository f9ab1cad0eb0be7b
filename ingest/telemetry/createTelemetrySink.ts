import type pino from 'pino';
import { InfluxSink } from './influxSink.ts';
import { createInfluxWriter, type InfluxTarget } from './influxWriter.ts';
import { LogSink } from './logSink.ts';
import type { TelemetrySink } from './telemetrySink.ts';

/** Where to write (the InfluxDB target, without a URL meaning "log only") and how to spool. */
export interface TelemetryOptions extends Omit<InfluxTarget, 'url' | 'timeoutMs'> {
  /** InfluxDB base URL; unset means telemetry goes only to the operational log. */
  url?: string | undefined;
  /** Directory of the spool's segment files and cursor (e.g. `DATA_DIR/telemetry-spool`). */
  spoolDir: string;
  /** Points per write request (default 5000). */
  batchSize?: number | undefined;
  /** Longest time a point waits for a batch to fill (default 1000 ms). */
  flushIntervalMs?: number | undefined;
  /** Bound of the on-disk spool; past it the oldest segment is dropped (default 1 GiB). */
  spoolMaxBytes?: number | undefined;
  /** Size at which a spool segment is rotated (default 32 MiB, at most a quarter of spoolMaxBytes). */
  segmentBytes?: number | undefined;
  /** Points the sender keeps in memory before it reads from the spool files instead (default 100,000). */
  memoryQueueMaxPoints?: number | undefined;
  /** How long stop() keeps flushing before it leaves the rest spooled (default 3000 ms). */
  stopTimeoutMs?: number | undefined;
  /** HTTP timeout of one write (default 10,000 ms). */
  requestTimeoutMs?: number | undefined;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function createTelemetrySink(options: TelemetryOptions, logger: pino.Logger): TelemetrySink {
  const log = logger.child({ component: 'telemetry' });
  if (!options.url) {
    log.info('INFLUX_URL is not set: telemetry goes only to the operational log (debug level)');
    return new LogSink(log);
  }
  const spoolMaxBytes = options.spoolMaxBytes ?? GiB;
  const segmentBytes = Math.max(
    4096,
    Math.min(options.segmentBytes ?? 32 * MiB, Math.floor(spoolMaxBytes / 4)),
  );
  const { url, api, token, org, bucket, db, rp, username, password } = options;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const writer = createInfluxWriter({ url, api, token, org, bucket, db, rp, username, password, timeoutMs });
  return new InfluxSink(
    {
      kind: `influxdb-${options.api}`,
      spoolDir: options.spoolDir,
      batchSize: options.batchSize ?? 5000,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      spoolMaxBytes,
      segmentBytes,
      memoryQueueMaxPoints: options.memoryQueueMaxPoints ?? 100_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 3000,
    },
    writer,
    log,
  );
}
