import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The README's walkthrough, run exactly as written against a fresh service. */
function walkthroughScript(): string {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const section = readme.split('## Walkthrough')[1]?.split('\n## ')[0] ?? '';
  const block = /```bash\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('README has no bash block under "## Walkthrough"');
  return block[1];
}

describe('README walkthrough', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.cleanup());

  it('creates a sensor, publishes an open as it, and shows the seal open and armed', () => {
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', walkthroughScript()], {
      cwd: ROOT,
      env: { ...process.env, API: svc.httpUrl, MQTT_PORT: String(svc.mqttPort), DATA_DIR: svc.dataDir },
      encoding: 'utf8',
      timeout: 30_000,
      // Not the runner's stdin: bash sources bashrc when its stdin is a socket (as under some runners).
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(lastLine)).toMatchObject({
      sensorId: 'door-0001',
      door: 'open',
      armed: true,
      online: true,
    });
  });
});
