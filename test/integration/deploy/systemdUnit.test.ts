import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VARIABLES } from '../../../core/configVariables.ts';
import { startService } from '../../helpers/service.ts';

/**
 * deploy/systemd: the unit passes `systemd-analyze verify` without a warning, keeps its hardening
 * (and leaves out what breaks Node), starts the bundle `npm run build` makes, and its example
 * settings file names only variables the service knows and starts the service.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const UNIT = resolve(ROOT, 'deploy/systemd/sealwatch.service');
const ENV_FILE = resolve(ROOT, 'deploy/systemd/sealwatch.env');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/** The unit's [Service] settings; a key may repeat (ReadWritePaths). */
function serviceSettings(): Map<string, string[]> {
  const section = readFileSync(UNIT, 'utf8').split('[Service]')[1]!.split(/^\[/m)[0]!;
  const settings = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

// Without systemd (a container image without it, macOS) there is nothing to verify the unit with;
// the hardening checks below still run.
describe.skipIf(!existsSync(SYSTEMD_ANALYZE))('systemd unit, verified by systemd-analyze', () => {
  it('passes `systemd-analyze verify` with no warning at all', () => {
    const result = spawnSync(SYSTEMD_ANALYZE, ['verify', UNIT], { encoding: 'utf8', timeout: 30_000 });
    // verify exits 0 on unknown keys and unparsable values too: only its silence means clean.
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('is rated OK or better by `systemd-analyze security`', () => {
    const result = spawnSync(SYSTEMD_ANALYZE, ['security', '--offline=true', '--no-pager', UNIT], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const level = /Overall exposure level for sealwatch\.service: ([\d.]+)/.exec(result.stdout);
    expect(level, result.stdout + result.stderr).not.toBeNull();
    // 0 is a fully locked-down service, 10 an unprotected one; 1.7 at the time of writing.
    expect(Number(level![1])).toBeLessThanOrEqual(2);
  });
});

describe('systemd unit', () => {
  const settings = serviceSettings();

  it('runs as its own user with the usual hardening', () => {
    expect(settings.get('User')).toEqual(['sealwatch']);
    for (const [key, value] of [
      ['NoNewPrivileges', 'true'],
      ['ProtectSystem', 'strict'],
      ['PrivateTmp', 'true'],
      ['ProtectHome', 'true'],
      ['CapabilityBoundingSet', ''],
      ['SystemCallFilter', '@system-service'],
      ['EnvironmentFile', '/etc/sealwatch/env'],
      ['Restart', 'on-failure'],
    ])
      expect(settings.get(key!), key).toEqual([value]);
    expect(settings.get('RestrictAddressFamilies')?.[0]?.split(' ').sort()).toEqual([
      'AF_INET',
      'AF_INET6',
      'AF_UNIX',
    ]);
    expect(Number(settings.get('LimitNOFILE')?.[0])).toBeGreaterThanOrEqual(65536);
  });

  it('leaves out MemoryDenyWriteExecute, which kills Node (its JIT writes code and runs it)', () => {
    expect(settings.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('may write only DATA_DIR (and the backup folder), the one the example settings name', () => {
    const env = readFileSync(ENV_FILE, 'utf8');
    const dataDir = /^DATA_DIR=(.*)$/m.exec(env)?.[1];
    const backupDir = /^#?BACKUP_DIR=(.*)$/m.exec(env)?.[1];
    expect(settings.get('ReadWritePaths')).toEqual([dataDir, `-${backupDir}`]);
    expect(`/var/lib/${settings.get('StateDirectory')?.[0]}`).toBe(dataDir);
  });

  it('starts the bundle `npm run build` makes, from the folder the guide installs into', () => {
    const build = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).scripts.build as string;
    const outfile = /--outfile=(\S+)/.exec(build)![1]!;
    const workingDirectory = settings.get('WorkingDirectory')![0]!;
    expect(settings.get('ExecStart')![0]).toMatch(
      new RegExp(`^/usr/bin/node .*${workingDirectory}/${outfile}$`),
    );
    expect(readFileSync(resolve(ROOT, 'deploy/README.md'), 'utf8')).toContain(workingDirectory);
  });
});

describe('example settings file (deploy/systemd/sealwatch.env)', () => {
  const lines = readFileSync(ENV_FILE, 'utf8').split('\n');
  const set = lines.map((l) => /^([A-Z_]+)=(.*)$/.exec(l)).filter((m) => m !== null);
  const commented = lines.map((l) => /^#([A-Z_]+)=/.exec(l)).filter((m) => m !== null);

  it('names only variables the service knows, set or commented out', () => {
    expect(set.length).toBeGreaterThan(5);
    for (const [, name] of [...set, ...commented]) expect(Object.keys(VARIABLES), name).toContain(name);
  });

  it('starts the service as written (ports and DATA_DIR aside, which the test picks)', async () => {
    const env = Object.fromEntries(
      set
        .map(([, name, value]) => [name!, value!] as const)
        .filter(([name]) => !['DATA_DIR', 'HTTP_PORT', 'MQTT_PORT', 'HTTP_HOST', 'MQTT_HOST'].includes(name)),
    );
    const svc = await startService({ env });
    try {
      expect((await svc.api('GET', '/readyz', undefined, null)).body).toEqual({ ready: true });
    } finally {
      await svc.cleanup();
    }
  });
});
