/**
 * Simulator processes for the connection benches (`npm run simulate -- fleet --credentials`): each its
 * own process, so each has its own open-file budget and event loop, and the service's CPU is not theirs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Splits the credentials round-robin into `parts` CSV files under `dir`; answers their paths. */
export function writeCredentialParts(
  dir: string,
  credentials: ReadonlyArray<{ sensorId: string; secret: string }>,
  parts: number,
): string[] {
  const csvs: string[] = [];
  for (let k = 0; k < parts; k++) {
    const part = credentials.filter((_, i) => i % parts === k);
    const csv = join(dir, `credentials-${k}.csv`);
    writeFileSync(csv, `sensorId,secret\n${part.map((p) => `${p.sensorId},${p.secret}`).join('\n')}\n`);
    csvs.push(csv);
  }
  return csvs;
}

export interface FleetSimulatorOptions {
  url: string;
  credentials: string;
  /** Where the simulator writes its summary when it stops (SIGTERM). */
  json: string;
  heartbeat: string;
  durationSeconds: number;
  /** CONNECTs in flight at once; there is no pacing otherwise. */
  maxConnecting: number;
  /** More `fleet` options (e.g. `--jitter`, `--storm-spread`). */
  extra?: string[];
}

/** Connects every sensor of its CSV at once, quiet apart from heartbeats (no door openings). */
export function startFleetSimulator(o: FleetSimulatorOptions): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulator/cli.ts',
      'fleet',
      '--url',
      o.url,
      '--credentials',
      o.credentials,
      '--connect-rate',
      '1000000',
      '--max-connecting',
      String(o.maxConnecting),
      '--heartbeat',
      o.heartbeat,
      '--opens-per-day',
      '0',
      '--duration',
      `${o.durationSeconds}s`,
      '--seed',
      '1',
      '--json',
      o.json,
      ...(o.extra ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

export const exited = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
