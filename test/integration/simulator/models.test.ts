/**
 * `simulate fleet --model <id>`: a fleet that reports the way the real device does, against the real
 * service. Sensors are provisioned with the model; Zigbee models speak Zigbee2MQTT through one bridge
 * login, the Shelly speaks Shelly Gen1, at the model's interval scaled by --time-factor.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCredentialsCsv } from '../../../simulator/fleet/credentials.ts';
import { type RunningService, startService } from '../../helpers/service.ts';
import { simulate } from '../../helpers/simulatorCli.ts';

let svc: RunningService & { cleanup(): Promise<void> };
let dir: string;
beforeAll(async () => {
  svc = await startService();
  dir = await mkdtemp(join(tmpdir(), 'sealwatch-sim-models-'));
});
afterAll(async () => {
  await svc?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('simulate fleet --model', () => {
  it.each([
    ['sonoff-snzb-04', 'zigbee2mqtt', '7200'], // 2 h ÷ 7200 = 1 s
    ['shelly-dw2', 'shelly', '43200'], // 12 h ÷ 43200 = 1 s
    ['nbiot-seal', 'native', '86400'], // 24 h ÷ 86400 = 1 s
  ])(
    '%s reports as %s, every interval ÷ the time factor',
    async (model, dialect, factor) => {
      const csv = join(dir, `${model}.csv`);
      const run = await simulate(
        [
          'fleet',
          '--api',
          svc.httpUrl,
          '--url',
          svc.mqttUrl,
          '--sensors',
          '3',
          '--model',
          model,
          '--time-factor',
          factor,
          '--jitter',
          '0',
          '--duration',
          '4s',
          '--opens-per-day',
          '0',
          '--save-credentials',
          csv,
        ],
        { SEALWATCH_TOKEN: svc.adminToken },
      );
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain(`${dialect}, QoS 1, heartbeat 1s`);
      expect(run.stdout).toMatch(/errors 0 \(refused 0\)/);
      const sensors = parseCredentialsCsv(await readFile(csv, 'utf8'));
      expect(sensors).toHaveLength(3);
      for (const s of sensors) {
        const seal = (await svc.api('GET', `/api/seals/${s.sensorId}`)).body;
        expect(seal, s.sensorId).toMatchObject({ model });
        // A native seal's will says "offline" when the fleet stops (power lost); bridged ones have none.
        expect(seal.online, s.sensorId).toBe(dialect !== 'native');
        expect(seal.lastSeen).toBeTruthy();
      }
      // About four reports each in 4 s (one at connect, then one a second): the interval was scaled.
      const sent = Number(/sent (\d+)/.exec(run.stdout)?.[1]);
      expect(sent).toBeGreaterThanOrEqual(3 * 3);
      expect(sent).toBeLessThanOrEqual(3 * 6);
    },
    60_000,
  );

  it('refuses a model whose wire format contradicts --dialect, and an unknown model', async () => {
    const wrong = await simulate(['fleet', '--model', 'shelly-dw2', '--dialect', 'native'], {});
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('reports as shelly');
    const unknown = await simulate(['fleet', '--model', 'MC-38'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('aqara-mccgq11lm');
  }, 30_000);
});
