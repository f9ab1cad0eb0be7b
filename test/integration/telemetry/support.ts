import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll } from 'vitest';
import type { TelemetryPoint } from '../../../ingest/telemetry/telemetrySink.ts';

export interface CapturedLogger {
  logger: pino.Logger;
  lines: Record<string, unknown>[];
}

/** A real pino logger whose lines are kept for assertions. */
export function captureLogger(level: pino.Level = 'info'): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

const createdDirs: string[] = [];
// Registered on the importing test file's root suite: its temp dirs go when it ends.
afterAll(() => {
  for (const dir of createdDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sealwatch-${prefix}-`));
  createdDirs.push(dir);
  return dir;
}

/** Point n of a numbered run: its own timestamp, so every point is a distinct InfluxDB point. */
export function doorPoint(n: number, base: number, sensor = 'S-1'): TelemetryPoint {
  return {
    measurement: 'door',
    tags: { sensor, household: 'H-1', grid: 'G-1', model: 'MC-38' },
    fields: { open: n % 2 === 0, seq: n },
    time: base + n,
  };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
