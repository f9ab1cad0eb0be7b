import type pino from 'pino';
import type { TelemetryPoint, TelemetrySink, TelemetryStats } from './telemetrySink.ts';

/**
 * Without InfluxDB, telemetry is kept only as the operational log: each point
 * at debug level. Nothing is durable here beyond the log itself.
 */
export class LogSink implements TelemetrySink {
  readonly kind = 'log';
  private written = 0;

  constructor(private readonly logger: pino.Logger) {}

  append(points: readonly TelemetryPoint[]): void {
    this.written += points.length;
    if (!this.logger.isLevelEnabled('debug')) return;
    for (const point of points) this.logger.debug({ point }, 'telemetry point');
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  stats(): TelemetryStats {
    return {
      queued: 0,
      spooledBytes: 0,
      written: this.written,
      retried: 0,
      refused: 0,
      dropped: 0,
      movedInTime: 0,
    };
  }
}
