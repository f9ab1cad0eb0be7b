import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Runs the shipped `npm run broker-config -- mosquitto` (as tsx source) for a running instance:
 * issued device secrets, when given, go in as a credentials CSV (removed afterwards); Mosquitto's
 * acl, passwd and sealwatch.conf come out in `outDir` with listeners on the given 127.0.0.1 ports.
 */
export function runBrokerConfig(o: {
  outDir: string;
  apiUrl: string;
  dataDir: string;
  /** Issued secrets for `--credentials` (only devices still on scrypt need them); none: no option. */
  secrets?: ReadonlyMap<string, string>;
  devicePort: number;
  servicePort: number;
  env: Record<string, string>;
}): SpawnSyncReturns<string> {
  const csv = join(o.outDir, 'issued.csv');
  if (o.secrets)
    writeFileSync(csv, `sensorId,secret\n${[...o.secrets].map(([id, s]) => `${id},${s}`).join('\n')}\n`, {
      mode: 0o600,
    });
  try {
    return spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'broker/external/brokerConfigCli.ts',
        'mosquitto',
        '--out',
        o.outDir,
        '--api',
        o.apiUrl,
        '--token-file',
        join(o.dataDir, 'admin-token'),
        ...(o.secrets ? ['--credentials', csv] : []),
        '--listener',
        `127.0.0.1:${o.devicePort}`,
        '--service-listener',
        `127.0.0.1:${o.servicePort}`,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...o.env } },
    );
  } finally {
    rmSync(csv, { force: true });
  }
}
