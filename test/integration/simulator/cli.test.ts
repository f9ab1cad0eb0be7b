import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingBroker, startRecordingBroker } from './inProcessAedes.ts';

const root = join(import.meta.dirname, '../../..');

function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'simulator/cli.ts', ...args],
      { cwd: root, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A fleet of two seals, `<prefix>-1` and `<prefix>-2` with secrets s1 and s2, from a credentials file. */
async function fleetOf(
  prefix: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const csv = join(dir, `${prefix}.csv`);
  await writeFile(csv, `sensorId,secret\n${prefix}-1,s1\n${prefix}-2,s2\n`);
  return simulate(['fleet', '--url', broker.url, '--credentials', csv, ...args]);
}

let broker: RecordingBroker;
let dir: string;
beforeAll(async () => {
  broker = await startRecordingBroker();
  dir = await mkdtemp(join(tmpdir(), 'sealwatch-sim-cli-'));
});
afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

describe('simulate CLI', () => {
  it('prints help at top level and for every mode', async () => {
    const top = await simulate(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Modes:/);
    for (const mode of ['fleet', 'scenario', 'load', 'commission']) {
      const r = await simulate([mode, '--help']);
      expect(r.code, mode).toBe(0);
      expect(r.stdout, mode).toMatch(new RegExp(`Usage: npm run simulate -- ${mode}`));
    }
  });

  it('exits 2 with one line on bad options', async () => {
    const r = await simulate(['load', '--rate', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'simulate: --rate must be a whole number (got "fast") (see --help)',
    ]);
    expect((await simulate(['teleport'])).code).toBe(2);
  });

  it('runs a bounded load and writes its JSON summary', async () => {
    const out = join(dir, 'load.json');
    const r = await simulate([
      'load',
      '--url',
      broker.url,
      '--connections',
      '3',
      '--count',
      '600',
      '--json',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/load summary: 3 connections, QoS 1/);
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ mode: 'load', sent: 600, acked: 600 });
  });

  it('runs a fleet from a credentials file for a bounded time', async () => {
    const r = await fleetOf('cli', ['--heartbeat', '500ms', '--duration', '2s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fleet summary: 2 sensors on 2 connection\(s\)/);
    expect(
      broker.logins
        .filter((l) => l.clientId.startsWith('cli-'))
        .map((l) => l.password)
        .sort(),
    ).toEqual(['s1', 's2']);
  });

  it('loads, then waits for --start-at before the first connection', async () => {
    // Far enough ahead that a busy CI machine has loaded the simulator (about 0.5 s idle) before it.
    const startAt = Date.now() + 6_000;
    const r = await fleetOf('later', ['--duration', '1s', '--start-at', new Date(startAt).toISOString()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/fleet: loaded; waiting \d+(\.\d)?s until /);
    const logins = broker.logins.filter((l) => l.clientId.startsWith('later-'));
    expect(logins).toHaveLength(2);
    for (const l of logins) expect(l.at).toBeGreaterThanOrEqual(startAt);
    const late = await simulate(['fleet', '--start-at', '2026-12-05 21:40']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/--start-at must be a time with its zone, like 2026-12-05T21:40:00Z/);
  });

  it('validates every example scenario', async () => {
    const files = (await readdir(join(root, 'scenarios'))).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const r = await simulate(['scenario', join('scenarios', f), '--check']);
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
    }
  });
});
