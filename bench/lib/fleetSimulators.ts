/**
 * Simulator processes for the connection benches (`npm run simulate -- fleet --credentials`): each its
 * own process, so each has its own open-file budget and event loop, and the service's CPU is not theirs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FleetSummary } from '../../simulator/fleet/fleet.ts';

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
  /** `--source-addresses`: from sourceAddressesFor(k) for the k-th simulator. */
  sourceAddresses?: string;
  /** Epoch ms when it starts connecting (`--start-at`); from togetherStartAt(). */
  startAt?: number;
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
      ...(o.startAt === undefined ? [] : ['--start-at', new Date(o.startAt).toISOString()]),
      ...(o.sourceAddresses === undefined ? [] : ['--source-addresses', o.sourceAddresses]),
      ...(o.extra ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/**
 * 250 loopback addresses of its own for the k-th simulator, as seals come from many addresses: from one,
 * the simulators' kernel searched past every port already connected to the service for each new
 * connection (184 µs of a simulator's CPU per connect at 18,000, against 52 from 250 addresses), and that
 * search, not the service, set the connect rate.
 */
export function sourceAddressesFor(k: number): string {
  return `127.0.${k + 1}.1-250`;
}

/**
 * A start time for simulators spawned now, so that all of them are loaded before the first connects: a
 * simulator takes about 0.75 s of CPU to load (tsx, the credentials; measured alone), so four loading
 * at once on two cores need some 1.5 s. Without it, the first simulator's connects share the cores
 * with the others' loading. Its effect on the measured rate alone was not told apart from the machine's
 * noise (one run, four simulators from one address: 1,328 connects/s, against 1,655 in the last full
 * run). The benches start their CPU windows at the first connection the broker accepted, not during
 * this wait.
 */
export function togetherStartAt(): number {
  return Date.now() + 4_000;
}

/** `errors (refused)`, and the last error of each simulator that had one, so that a count is never unexplained. */
export function simulatorErrors(summaries: readonly FleetSummary[]): string {
  const errors = summaries.reduce((n, s) => n + s.errors, 0);
  const refused = summaries.reduce((n, s) => n + s.refused, 0);
  const last = [...new Set(summaries.flatMap((s) => (s.lastError ? [s.lastError] : [])))];
  return `${errors} (${refused})${last.length ? `; last: ${last.join(' | ')}` : ''}`;
}

export const exited = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
