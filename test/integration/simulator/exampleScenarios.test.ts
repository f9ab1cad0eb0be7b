import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCENARIOS = readdirSync(resolve(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));

/**
 * Every example scenario in scenarios/, run the way a technician runs it (the
 * CLI), against the real service with its alerting. The service's offline
 * settings are shortened and passed to the scenarios with --set.
 */
describe('example scenarios against the real service', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    svc = await startService({ env: { HEARTBEAT_INTERVAL: '2s', MISSED_HEARTBEATS: '3' } });
  });
  afterAll(async () => svc?.cleanup());

  it('has the five scenarios the issue names', () => {
    expect(SCENARIOS.sort()).toEqual([
      'announced-opening.yaml',
      'authorized-window.yaml',
      'breach-during-quarantine.yaml',
      'gateway-outage.yaml',
      'reconnect-storm.yaml',
    ]);
  });

  it('every scenario passes (they run side by side, each under its own grid root)', async () => {
    const runs = await Promise.all(
      SCENARIOS.map(
        (file) =>
          new Promise<{ file: string; code: number | null; out: string }>((done) => {
            const child = spawn(
              process.execPath,
              [
                '--import',
                'tsx',
                'simulator/cli.ts',
                'scenario',
                `scenarios/${file}`,
                '--api',
                svc.httpUrl,
                '--url',
                svc.mqttUrl,
                '--set',
                'interval=2s',
                '--set',
                'missed=3',
              ],
              {
                cwd: ROOT,
                env: { ...process.env, SEALWATCH_TOKEN: svc.adminToken },
                stdio: ['ignore', 'pipe', 'pipe'],
              },
            );
            let out = '';
            child.stdout.on('data', (c) => {
              out += c;
            });
            child.stderr.on('data', (c) => {
              out += c;
            });
            child.once('exit', (code) => done({ file, code, out }));
          }),
      ),
    );
    for (const run of runs) expect(run.code, `${run.file}\n${run.out}`).toBe(0);
  });
});
