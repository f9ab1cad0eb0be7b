import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrokerConfig } from './brokerConfig.ts';
import { eventually } from './eventually.ts';
import { metricValue } from './metrics.ts';
import { type RunningMosquitto, startMosquitto } from './mosquitto.ts';
import { freePort } from './serverProcess.ts';
import { type RunningService, startService } from './service.ts';

/**
 * Several SealWatch instances on one PostgreSQL behind one Mosquitto, as the compose profile
 * "external-broker" runs them: the instances start first, `provision` registers everything
 * through the first one, then the shipped broker-config command writes Mosquitto's files from
 * the registry and the issued secrets, and Mosquitto starts.
 */

const SERVICE_USER = 'sealwatch';
const SERVICE_PASSWORD = 'shared-store-rig-password';

type Service = Awaited<ReturnType<typeof startService>>;

export interface SharedStoreRig {
  instances: Service[];
  /** Where devices connect (Mosquitto's device listener). */
  deviceUrl: string;
  mosquitto: RunningMosquitto;
  close(): Promise<void>;
}

export async function startSharedStoreRig(opts: {
  /** The shared PostgreSQL; null: SQLite in each instance's DATA_DIR (one instance, for comparison). */
  databaseUrl: string | null;
  instances: number;
  /** Extra Node.js options for the instances (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Registers the grid and devices through the first instance; returns every device secret by id. */
  provision(first: RunningService): Promise<Map<string, string>>;
}): Promise<SharedStoreRig> {
  const devicePort = await freePort();
  const servicePort = await freePort();
  const env = {
    ...(opts.databaseUrl === null ? {} : { DATABASE_URL: opts.databaseUrl }),
    MQTT_URL: `mqtt://127.0.0.1:${servicePort}`,
    MQTT_USERNAME: SERVICE_USER,
    MQTT_PASSWORD: SERVICE_PASSWORD,
    ...opts.env,
  };
  const instances: Service[] = [];
  let mosquitto: RunningMosquitto | null = null;
  const confDir = mkdtempSync(join(tmpdir(), 'sealwatch-shared-broker-'));
  const close = async () => {
    await Promise.all(instances.map((s) => s.cleanup()));
    await mosquitto?.cleanup();
    rmSync(confDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < opts.instances; i++)
      instances.push(await startService({ env, ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}) }));
    const first = instances[0] as Service;
    const secrets = await opts.provision(first);

    const cli = runBrokerConfig({
      outDir: confDir,
      apiUrl: first.httpUrl,
      dataDir: first.dataDir,
      secrets,
      devicePort,
      servicePort,
      env,
    });
    if (cli.status !== 0) throw new Error(`broker-config failed: ${cli.stderr}`);
    mosquitto = await startMosquitto({ includeDir: confDir, waitForPort: devicePort });
    for (const s of instances) {
      await eventually(async () => (await s.api('GET', '/readyz', undefined, null)).status === 200, 40_000);
    }
    if (opts.databaseUrl !== null)
      await eventually(
        async () => (await Promise.all(instances.map(isAlertingOwner))).filter(Boolean).length === 1,
        15_000,
        'one instance owns alerting',
      );
  } catch (err) {
    await close();
    throw err;
  }
  return { instances, deviceUrl: `mqtt://127.0.0.1:${devicePort}`, mosquitto, close };
}

export async function isAlertingOwner(s: RunningService): Promise<boolean> {
  const text = (await s.api('GET', '/metrics', undefined, null)).body as string;
  return metricValue(text, 'sealwatch_alerting_owner') === 1;
}
