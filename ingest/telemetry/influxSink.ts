import type pino from 'pino';
import { type Clock, systemClock } from '../../core/clock.ts';
import { LogThrottle } from '../../core/logThrottle.ts';
import type { LineWriter } from './influxWriter.ts';
import { encodePoint } from './lineProtocol.ts';
import { SeriesTimes } from './seriesTimes.ts';
import { leadingLines, Spool, type SpoolBatch } from './spool.ts';
import type { TelemetryPoint, TelemetrySink, TelemetryStats } from './telemetrySink.ts';

export interface InfluxSinkOptions {
  kind: string;
  spoolDir: string;
  batchSize: number;
  flushIntervalMs: number;
  spoolMaxBytes: number;
  segmentBytes: number;
  memoryQueueMaxPoints: number;
  stopTimeoutMs: number;
  clock?: Clock;
}

const BACKOFF_BASE_MS = 250;
// Short enough that catch-up starts within seconds of the server's return; one request per few seconds costs a down server nothing.
const BACKOFF_MAX_MS = 5_000;
const LOG_INTERVAL_MS = 10_000;

/**
 * Spools every point on append, and one sender loop writes batches to
 * InfluxDB in spool order. Only one batch is in flight, so order holds; a
 * failed batch is retried with back-off until the server takes it, and a
 * batch the server refuses as bad is split in halves down to the bad points.
 */
export class InfluxSink implements TelemetrySink {
  readonly kind: string;
  private readonly spool: Spool;
  private readonly clock: Clock;
  private readonly seriesTimes: SeriesTimes;
  private readonly timeFor: (series: string, time: number, fields: string) => number;
  private written = 0;
  private retried = 0;
  private refused = 0;

  private loop: Promise<void> | null = null;
  private stopping = false;
  private stopDeadline = Number.POSITIVE_INFINITY;
  /** Per request: the transport adds a listener to the signal it is given and never removes it. */
  private inFlight: AbortController | null = null;
  private wakeUp: { done: () => void; onAppend: boolean } | null = null;
  private readonly refusedLog = new LogThrottle(LOG_INTERVAL_MS);
  private readonly retryLog = new LogThrottle(LOG_INTERVAL_MS);
  private outageStartedAt: number | null = null;

  constructor(
    private readonly options: InfluxSinkOptions,
    private readonly writer: LineWriter,
    private readonly logger: pino.Logger,
  ) {
    this.kind = options.kind;
    this.clock = options.clock ?? systemClock;
    this.seriesTimes = new SeriesTimes(this.clock);
    this.timeFor = (series, time, fields) => this.seriesTimes.assign(series, time, fields);
    this.spool = Spool.open({
      dir: options.spoolDir,
      maxBytes: options.spoolMaxBytes,
      segmentBytes: options.segmentBytes,
      memoryMaxLines: options.memoryQueueMaxPoints,
      logger,
    });
  }

  append(points: readonly TelemetryPoint[]): void {
    const lines: string[] = [];
    for (const point of points) {
      const encoded = encodePoint(point, this.timeFor);
      if (encoded.ok) lines.push(encoded.line);
      else this.refuse(1, encoded.reason, JSON.stringify(point));
    }
    if (lines.length === 0) return;
    const wasIdle = this.spool.pendingLines === 0;
    this.spool.append(lines);
    if (wasIdle || this.spool.pendingLines >= this.options.batchSize) this.wake('append');
  }

  async start(): Promise<void> {
    if (this.loop !== null) return;
    this.logger.info(
      { target: this.writer.target, spoolDir: this.options.spoolDir, pendingPoints: this.spool.pendingLines },
      'telemetry writer started',
    );
    this.loop = this.run().catch((error: unknown) => {
      this.logger.error(
        { err: error },
        'telemetry sender stopped on an unexpected error; points stay spooled',
      );
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopDeadline = this.clock.now() + this.options.stopTimeoutMs;
    const abortTimer = setTimeout(() => this.inFlight?.abort(), this.options.stopTimeoutMs);
    try {
      this.wake('stop');
      await this.loop;
    } finally {
      clearTimeout(abortTimer);
      this.spool.close();
    }
    this.logger.info(
      {
        written: this.written,
        pendingPoints: this.spool.pendingLines,
        pendingBytes: this.spool.pendingBytes(),
      },
      'telemetry writer stopped; unsent points stay spooled',
    );
  }

  stats(): TelemetryStats {
    return {
      queued: this.spool.pendingLines,
      spooledBytes: this.spool.pendingBytes(),
      written: this.written,
      retried: this.retried,
      refused: this.refused,
      dropped: this.spool.droppedLines,
      movedInTime: this.seriesTimes.moved,
    };
  }

  private async run(): Promise<void> {
    let intervalStart = this.clock.now();
    for (;;) {
      const pending = this.spool.pendingLines;
      if (this.stopping) {
        if (pending === 0 || this.clock.now() >= this.stopDeadline) return;
      } else if (pending === 0) {
        await this.idle(Number.POSITIVE_INFINITY);
        intervalStart = this.clock.now();
        continue;
      } else if (pending < this.options.batchSize) {
        const wait = intervalStart + this.options.flushIntervalMs - this.clock.now();
        if (wait > 0) {
          await this.idle(wait);
          continue;
        }
      }

      const batch = await this.spool.readBatch(this.options.batchSize);
      if (!batch) {
        await this.idle(50);
        continue;
      }
      intervalStart = this.clock.now();
      if (!(await this.deliver(batch.body, batch.count))) return;
      this.spool.commit(batch);
      this.noteRecovered(batch);
      // Catch-up after an outage sends batch after batch: let ingest run between them.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Sends `count` lines (`body`, each line ended by a newline) until the server has taken or refused
   * each one; false if stop's deadline cut it short.
   */
  private async deliver(body: Buffer, count: number): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopping && this.clock.now() >= this.stopDeadline) return false;
      this.inFlight = new AbortController();
      const outcome = await this.writer.write(body.subarray(0, body.length - 1), this.inFlight.signal);
      this.inFlight = null;
      switch (outcome.kind) {
        case 'ok':
          this.written += count;
          return true;
        case 'badRequest':
        case 'tooLarge': {
          if (count === 1) {
            const reason =
              outcome.kind === 'tooLarge' ? 'HTTP 413' : `HTTP ${outcome.status}: ${outcome.message}`;
            this.refuse(1, reason, body.toString('utf8', 0, body.length - 1));
            return true;
          }
          // The halves are cut from the bytes as they are, between lines.
          const middle = Math.ceil(count / 2);
          const cut = leadingLines(body, middle).end;
          if (!(await this.deliver(body.subarray(0, cut), middle))) return false;
          return this.deliver(body.subarray(cut), count - middle);
        }
        case 'retry': {
          this.retried += count;
          this.outageStartedAt ??= this.clock.now();
          const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
          // Jitter spreads the retries of many instances after a shared outage.
          const delay = outcome.retryAfterMs ?? Math.round(backoff * (0.5 + Math.random() * 0.5));
          this.retryLog.attempt((suppressed) => {
            const level =
              outcome.status === 401 || outcome.status === 403 || outcome.status === 404 ? 'error' : 'warn';
            this.logger[level](
              {
                target: this.writer.target,
                reason: outcome.reason,
                retryInMs: delay,
                pendingPoints: this.spool.pendingLines,
                spooledBytes: this.spool.pendingBytes(),
                suppressed,
              },
              'telemetry write failed; points stay spooled and will be retried',
            );
          });
          // Back-off is cut short by stop only, never by new points arriving.
          await this.idle(Math.min(delay, this.stopDeadline - this.clock.now()), false);
        }
      }
    }
  }

  private noteRecovered(batch: SpoolBatch): void {
    if (this.outageStartedAt === null) return;
    this.logger.info(
      {
        target: this.writer.target,
        outageMs: this.clock.now() - this.outageStartedAt,
        pendingPoints: this.spool.pendingLines,
        batchPoints: batch.count,
      },
      'telemetry writes succeed again; replaying the spool',
    );
    this.outageStartedAt = null;
  }

  private refuse(count: number, reason: string, sample: string): void {
    this.refused += count;
    this.refusedLog.attempt((suppressed) => {
      this.logger.warn(
        { reason, point: sample.slice(0, 300), refusedTotal: this.refused, suppressed },
        'telemetry point refused as invalid; dropped',
      );
    });
  }

  /** Waits for `ms`, or less when woken by stop (or by an append, if `onAppend`). */
  private idle(ms: number, onAppend = true): Promise<void> {
    if (this.stopping && ms === Number.POSITIVE_INFINITY) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      const waiter = { done, onAppend };
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wakeUp === waiter) self.wakeUp = null;
        resolve();
      }
      this.wakeUp = waiter;
    });
  }

  private wake(reason: 'append' | 'stop'): void {
    if (this.wakeUp && (reason === 'stop' || this.wakeUp.onAppend)) this.wakeUp.done();
  }
}
