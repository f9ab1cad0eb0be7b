import { type Logger, pino } from 'pino';

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
