import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../simulator/api/apiClient.ts';
import { commission } from '../../../simulator/commission/commission.ts';
import { parseCredentialsCsv } from '../../../simulator/fleet/credentials.ts';
import { ScenarioSensor } from '../../../simulator/scenario/scenarioSensor.ts';
import { provisionArmedSensor, type RunningService, startService } from '../../helpers/service.ts';

const root = join(import.meta.dirname, '../../..');

function simulate(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'simulator/cli.ts', ...args],
      { cwd: root, timeout: 90_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let svc: RunningService & { cleanup(): Promise<void> };
let dir: string;
beforeAll(async () => {
  svc = await startService();
  dir = await mkdtemp(join(tmpdir(), 'sealwatch-sim-svc-'));
});
afterAll(async () => {
  await svc?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('simulator against the real service', () => {
  it('provisions a fleet through the API, saves its credentials, and the service sees every seal', async () => {
    const csv = join(dir, 'fleet.csv');
    const env = { SEALWATCH_TOKEN: svc.adminToken };
    const first = await simulate(
      [
        'fleet',
        '--api',
        svc.httpUrl,
        '--url',
        svc.mqttUrl,
        '--sensors',
        '6',
        '--per-node',
        '3',
        '--heartbeat',
        '500ms',
        '--duration',
        '3s',
        '--save-credentials',
        csv,
        '--opens-per-day',
        '0',
      ],
      env,
    );
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/connected at stop 6 \(peak 6\)/);
    expect(first.stdout).toMatch(/errors 0 \(refused 0\)/);
    expect(first.stdout + first.stderr).not.toContain(svc.adminToken);
    const credentials = parseCredentialsCsv(await readFile(csv, 'utf8'));
    expect(credentials).toHaveLength(6);
    expect(new Set(credentials.map((c) => c.gridId)).size).toBe(2);
    for (const c of credentials) {
      const seal = await svc.api('GET', `/api/seals/${c.sensorId}`);
      expect(seal.status).toBe(200);
      expect(seal.body).toMatchObject({ sensorId: c.sensorId, door: 'closed', armed: true });
      expect(seal.body.lastSeen).toBeTruthy();
    }

    const again = await simulate(
      ['fleet', '--url', svc.mqttUrl, '--credentials', csv, '--heartbeat', '500ms', '--duration', '2s'],
      {},
    );
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/peak 6\)/);
    expect(again.stdout).toMatch(/errors 0 \(refused 0\)/);
  });

  it('provisions a Zigbee2MQTT fleet with its gateway and the service sees each seal through it', async () => {
    const csv = join(dir, 'zigbee.csv');
    const r = await simulate(
      [
        'fleet',
        '--dialect',
        'zigbee2mqtt',
        '--api',
        svc.httpUrl,
        '--url',
        svc.mqttUrl,
        '--sensors',
        '3',
        '--heartbeat',
        '500ms',
        '--duration',
        '3s',
        '--save-credentials',
        csv,
        '--opens-per-day',
        '0',
      ],
      { SEALWATCH_TOKEN: svc.adminToken },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gateway sim-\w+-gw registered for 3 sensors/);
    expect(r.stdout).toMatch(/fleet summary: 3 sensors on 1 connection\(s\), zigbee2mqtt/);
    expect(r.stdout).toMatch(/errors 0 \(refused 0\)/);
    for (const c of parseCredentialsCsv(await readFile(csv, 'utf8'))) {
      const seal = await svc.api('GET', `/api/seals/${c.sensorId}`);
      expect(seal.body, c.sensorId).toMatchObject({ sensorId: c.sensorId, door: 'closed' });
      expect(seal.body.lastSeen, c.sensorId).toBeTruthy();
    }
  });

  const api = () => new ApiClient({ baseUrl: svc.httpUrl, token: svc.adminToken });

  async function commissionWith(
    sensorId: string,
    behave: (s: ScenarioSensor) => Promise<void>,
    timeoutMs: number,
  ) {
    const p = await provisionArmedSensor(svc, { sensor: sensorId });
    const device = new ScenarioSensor({
      name: sensorId,
      sensorId,
      secret: p.secret,
      url: svc.mqttUrl,
      heartbeatMs: 60_000,
      qos: 1,
      seed: 1,
      onProblem: (text) => lines.push(`problem: ${text}`),
    });
    const lines: string[] = [];
    let acting: Promise<void> | undefined;
    let commissioningDuring: unknown;
    const result = await commission({
      sensorId,
      api: api(),
      token: svc.adminToken,
      brokerUrl: svc.mqttUrl,
      timeoutMs,
      print: (line) => {
        lines.push(line);
        // The technician acts once the tool is listening.
        if (line.startsWith('listening on')) {
          acting = svc
            .api('GET', `/api/seals/${sensorId}`)
            .then((seal) => {
              commissioningDuring = seal.body.commissioning;
            })
            .then(() => device.connect())
            .then(() => behave(device));
        }
      },
    });
    await acting;
    device.drop();
    const after = await svc.api('GET', `/api/seals/${sensorId}`);
    return { result, lines, commissioningDuring, commissioningAfter: after.body.commissioning };
  }

  it('commissioning passes for a sensor that heartbeats, opens and closes, and ends commissioning', async () => {
    const { result, lines, commissioningDuring, commissioningAfter } = await commissionWith(
      'comm-good',
      async (s) => {
        await s.send('open');
        await s.send('close');
      },
      20_000,
    );
    expect(result).toMatchObject({ passed: true, missing: [], interrupted: false });
    expect(lines.some((l) => /heartbeat seq \d+, door closed/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('event open'))).toBe(true);
    expect(commissioningDuring).toBe(true);
    expect(lines).toContain('commissioning ended');
    expect(commissioningAfter).toBe(false);
  });

  it('commissioning fails naming the missing close for a sensor that never closes', async () => {
    const { result, lines, commissioningAfter } = await commissionWith(
      'comm-stuck',
      async (s) => {
        await s.send('open');
      },
      3000,
    );
    expect(result).toMatchObject({ passed: false, missing: ['close'], interrupted: false });
    expect(lines).toContain('commissioning ended');
    expect(commissioningAfter).toBe(false);
  });

  it('commission CLI prints FAIL with what was missing and exits 1', async () => {
    await provisionArmedSensor(svc, { sensor: 'comm-silent' });
    const r = await simulate(
      ['commission', 'comm-silent', '--api', svc.httpUrl, '--url', svc.mqttUrl, '--timeout', '2s'],
      { SEALWATCH_TOKEN: svc.adminToken },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL comm-silent: missing a heartbeat, an open \(door opened\), a close after the open/,
    );
  });
});
