import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from './clock.ts';

export type { Logger } from 'pino';

/**
 * Secrets must never reach the log. Redaction is a safety net; the code
 * itself does not log passwords, tokens or device secrets.
 */
const REDACT = [
  'password',
  'secret',
  'token',
  'authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sealwatch' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}

/**
 * Logs at most `perWindow` lines per key per window and counts the rest, so
 * a flood of bad messages cannot flood the log or slow the service.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly windowMs = 10_000,
    private readonly perWindow = 5,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (w && w.suppressed > 0)
        this.logger.warn({ key, suppressed: w.suppressed }, 'similar log lines suppressed');
      w = { start: now, count: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.count < this.perWindow) {
      w.count++;
      this.logger.warn(fields, message);
    } else {
      w.suppressed++;
    }
  }
}
