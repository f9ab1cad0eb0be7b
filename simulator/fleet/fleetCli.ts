import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEVICE_PROFILES } from '../../contract/deviceProfiles.ts';
import { ApiClient } from '../api/apiClient.ts';
import { newRunId, provision, provisionGateway } from '../api/provision.ts';
import {
  API_HELP,
  type ApiTarget,
  apiArgs,
  apiTargetOption,
  probabilityOption,
  rangeOption,
} from '../cli/common.ts';
import { formatDuration } from '../cli/duration.ts';
import {
  addressListOption,
  brokerUrlOption,
  choiceOption,
  durationOption,
  intOption,
  numberOption,
  parseOrUsage,
  timeOption,
} from '../cli/options.ts';
import { ProgressLine } from '../cli/progress.ts';
import { stopSignal } from '../cli/stopSignal.ts';
import { UsageError } from '../cli/usageError.ts';
import { readCredentialsFile, type SensorCredential, writeCredentialsFile } from './credentials.ts';
import { type Dialect, viaGateway } from './device.ts';
import { Fleet, type FleetOptions, type FleetSnapshot, type FleetSummary } from './fleet.ts';

const dialectName = {
  native: 'native',
  zigbee2mqtt: 'Zigbee2MQTT via a bridge',
  shelly: 'Shelly Gen1',
} as const;
/** `--model` choices: generic (native, the service's HEARTBEAT_INTERVAL) and the shipped profiles. */
const MODEL_IDS = ['generic', ...DEVICE_PROFILES.map((p) => p.id)] as const;
const MODEL_HELP = [
  '                       generic: native protocol at --heartbeat',
  ...DEVICE_PROFILES.map(
    (p) =>
      `                       ${p.id}: ${dialectName[p.reportsAs]}, every ${formatDuration(p.heartbeatIntervalMs)}`,
  ),
].join('\n');

export const FLEET_HELP = `Usage: npm run simulate -- fleet [options]

Runs N simulated door seals against a broker: jittered heartbeats, door habits by time of day, battery drain,
flaky links and an optional reconnect storm. Stops after --duration or on Ctrl-C, then prints a summary.

Where the sensors' credentials come from (one of):
  --credentials FILE   CSV with columns sensorId,secret (as written by a provisioning run)
  --api URL --token T  provision a synthetic grid node, households, quarantines and sensors through the API
                       (needs an admin token) and save their credentials for the next run
  (neither)            connect as sim-00001… without real secrets: only for bare test brokers

Options:
  --url URL            broker (default mqtt://127.0.0.1:1883)
  --sensors N          how many sensors (default: all in --credentials, else 100)
${API_HELP}
  --grid-parent ID     provision under this existing grid node (default: a new root node)
  --per-node N         sensors per provisioned grid node (default 50)
  --no-quarantine      provision households without an active quarantine (nothing is armed)
  --save-credentials F where provisioning writes the CSV (default sim-credentials-<run>.csv)
  --model ID           report the way this sensor model does (provisioned sensors name it):
${MODEL_HELP}
  --time-factor F      with --model: run the model's clock F times faster (3600: an hourly device
                       beats every second), for tests (default 1)
  --dialect D          native (default), zigbee2mqtt or shelly (the last two: all sensors behind one
                       gateway connection, publishing under their friendly names)
  --gateway-user U     zigbee2mqtt/shelly: the gateway credential's username
  --gateway-password P zigbee2mqtt/shelly: the gateway credential's password
  --heartbeat D        heartbeat interval (default 60s, or the --model's interval ÷ --time-factor)
  --jitter F           heartbeat jitter as a fraction of the interval (default 0.1)
  --qos 0|1            publish QoS (default 1)
  --duration D         stop after this long (default: run until Ctrl-C)
  --opens-per-day F    mean door openings per household per day, shaped by hour of day (default 2)
  --battery A-B        starting battery range in percent (default 60-100)
  --drain F            battery drain in percent per hour (default 0.01)
  --flaky P            chance per heartbeat interval that a link drops (default 0)
  --flaky-down A-B     how long a dropped link stays down (default 5s-60s)
  --storm-at D         drop every connection at this offset and reconnect all at once (also: kill -USR2)
  --storm-spread D     reconnects after the storm start within this span (default 1s)
  --connect-rate N     new connections per second while ramping up (default 500)
  --max-connecting N   connection attempts in flight at once (default 200)
  --source-addresses L mqtt:// only: spread the connections over these local addresses, round-robin
                       (127.0.1.1-250,10.0.0.7: addresses, or ranges over the last number). From one
                       address, the system searches past every port already connected to the broker
                       for each new one: slow beyond some 10,000 connections, impossible beyond the
                       28,000-odd ports of a Linux default. To a broker on 127.0.0.1, any 127.x.y.z works.
  --start-at TIME      connect no sooner than this time, written with its zone (2026-12-05T21:40:00Z):
                       several simulator processes or machines start together, loaded and ready;
                       --duration counts from then
  --seed N             random seed, to replay a run exactly (default: random, printed)
  --json FILE          also write the summary as JSON
  -h, --help           show this help

Examples:
  npm run simulate -- fleet --api http://127.0.0.1:8080 --token-file data/admin-token --sensors 200 --heartbeat 10s
  npm run simulate -- fleet --api http://127.0.0.1:8080 --token-file data/admin-token --model aqara-mccgq11lm --time-factor 60
`;

export interface FleetCliOptions {
  url: string;
  sensors: number | undefined;
  credentialsFile: string | undefined;
  api: ApiTarget | undefined;
  gridParent: string | null;
  perNode: number;
  quarantine: boolean;
  saveCredentials: string | undefined;
  dialect: Dialect;
  /** The sensor model provisioned sensors name (and whose reporting the fleet plays). */
  model: string | undefined;
  gateway: { username: string; password: string } | undefined;
  heartbeatMs: number;
  jitter: number;
  qos: 0 | 1;
  durationMs: number | undefined;
  opensPerDay: number;
  battery: readonly [number, number];
  drainPerHour: number;
  flaky: number;
  flakyDown: readonly [number, number];
  stormAtMs: number | undefined;
  stormSpreadMs: number;
  connectRate: number;
  maxConnecting: number;
  sourceAddresses: string[] | undefined;
  /** Epoch ms before which nothing connects; undefined: at once. */
  startAt: number | undefined;
  seed: number;
  json: string | undefined;
  help: boolean;
}

export function parseFleetArgs(argv: string[], env: NodeJS.ProcessEnv = {}): FleetCliOptions {
  const parsed = parseOrUsage(() =>
    parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        url: { type: 'string' },
        sensors: { type: 'string' },
        credentials: { type: 'string' },
        ...apiArgs,
        'grid-parent': { type: 'string' },
        'per-node': { type: 'string' },
        'no-quarantine': { type: 'boolean' },
        'save-credentials': { type: 'string' },
        dialect: { type: 'string' },
        model: { type: 'string' },
        'time-factor': { type: 'string' },
        'gateway-user': { type: 'string' },
        'gateway-password': { type: 'string' },
        heartbeat: { type: 'string' },
        jitter: { type: 'string' },
        qos: { type: 'string' },
        duration: { type: 'string' },
        'opens-per-day': { type: 'string' },
        battery: { type: 'string' },
        drain: { type: 'string' },
        flaky: { type: 'string' },
        'flaky-down': { type: 'string' },
        'storm-at': { type: 'string' },
        'storm-spread': { type: 'string' },
        'connect-rate': { type: 'string' },
        'max-connecting': { type: 'string' },
        'start-at': { type: 'string' },
        'source-addresses': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
      },
    }),
  );
  const v = parsed.values;
  const api = apiTargetOption(v, env);
  if (api && v.credentials !== undefined) {
    throw new UsageError('give either --credentials FILE or --api/--token to provision, not both');
  }
  const model = v.model === undefined ? undefined : choiceOption('model', v.model, MODEL_IDS, 'generic');
  const profile = DEVICE_PROFILES.find((p) => p.id === model);
  const timeFactor = numberOption('time-factor', v['time-factor'], 1, { min: 1e-6 });
  if (v['time-factor'] !== undefined && !profile)
    throw new UsageError('--time-factor applies with --model (a shipped profile other than generic)');
  const dialectChoices = ['native', 'zigbee2mqtt', 'shelly'] as const;
  const dialect = choiceOption('dialect', v.dialect, dialectChoices, profile?.reportsAs ?? 'native');
  if (model !== undefined && dialect !== (profile?.reportsAs ?? 'native'))
    throw new UsageError(
      `--model ${model} reports as ${profile?.reportsAs ?? 'native'}, not --dialect ${dialect}`,
    );
  let gateway: FleetCliOptions['gateway'];
  if (viaGateway(dialect)) {
    if (v['gateway-user'] !== undefined && v['gateway-password'] !== undefined) {
      gateway = { username: v['gateway-user'], password: v['gateway-password'] };
    } else if (!api) {
      throw new UsageError(
        `--dialect ${dialect} needs --gateway-user and --gateway-password (the gateway credential), or --api to register one`,
      );
    }
  } else if (v['gateway-user'] !== undefined || v['gateway-password'] !== undefined) {
    throw new UsageError('--gateway-user/--gateway-password only apply with --dialect zigbee2mqtt or shelly');
  }
  if (!api && (v['grid-parent'] !== undefined || v['save-credentials'] !== undefined || v['no-quarantine'])) {
    throw new UsageError(
      '--grid-parent, --save-credentials and --no-quarantine only apply when provisioning with --api',
    );
  }
  const heartbeatMs = durationOption(
    'heartbeat',
    v.heartbeat,
    profile ? Math.round(profile.heartbeatIntervalMs / timeFactor) : 60_000,
  );
  if (heartbeatMs < 100) throw new UsageError(`--heartbeat must be at least 100ms (got ${v.heartbeat})`);
  const url = brokerUrlOption(v.url);
  const sourceAddresses = addressListOption('source-addresses', v['source-addresses']);
  if (sourceAddresses && !url.startsWith('mqtt://'))
    throw new UsageError(`--source-addresses needs an mqtt:// --url (got ${url})`);
  return {
    url,
    sensors: intOption('sensors', v.sensors, undefined, { min: 1, max: 1_000_000 }),
    credentialsFile: v.credentials,
    api,
    gridParent: v['grid-parent'] ?? null,
    perNode: intOption('per-node', v['per-node'], 50, { min: 1 }),
    quarantine: !v['no-quarantine'],
    saveCredentials: v['save-credentials'],
    dialect,
    model,
    gateway,
    heartbeatMs,
    jitter: numberOption('jitter', v.jitter, 0.1, { min: 0, max: 0.9 }),
    qos: Number(choiceOption('qos', v.qos, ['0', '1'] as const, '1')) as 0 | 1,
    durationMs: durationOption('duration', v.duration),
    opensPerDay: numberOption('opens-per-day', v['opens-per-day'], 2, { min: 0 }),
    battery: rangeOption('battery', v.battery, [60, 100], 'number'),
    drainPerHour: numberOption('drain', v.drain, 0.01, { min: 0 }),
    flaky: probabilityOption('flaky', v.flaky, 0),
    flakyDown: rangeOption('flaky-down', v['flaky-down'], [5_000, 60_000], 'duration'),
    stormAtMs: durationOption('storm-at', v['storm-at']),
    stormSpreadMs: durationOption('storm-spread', v['storm-spread'], 1_000),
    connectRate: intOption('connect-rate', v['connect-rate'], 500, { min: 1 }),
    maxConnecting: intOption('max-connecting', v['max-connecting'], 200, { min: 1 }),
    startAt: timeOption('start-at', v['start-at']),
    sourceAddresses,
    seed: intOption('seed', v.seed, Math.floor(Math.random() * 2 ** 31), { min: 0 }),
    json: v.json,
    help: v.help ?? false,
  };
}

function anonymousSensors(count: number): SensorCredential[] {
  return Array.from({ length: count }, (_, i) => ({
    sensorId: `sim-${String(i + 1).padStart(5, '0')}`,
    secret: 'simulator',
  }));
}

interface FleetSensors {
  sensors: SensorCredential[];
  gateway?: { username: string; password: string };
}

async function sensorsFor(o: FleetCliOptions, progress: ProgressLine): Promise<FleetSensors> {
  if (o.credentialsFile) {
    const all = await readCredentialsFile(o.credentialsFile);
    if (o.sensors !== undefined && o.sensors > all.length) {
      throw new UsageError(`--sensors ${o.sensors} but ${o.credentialsFile} lists only ${all.length}`);
    }
    return { sensors: all.slice(0, o.sensors ?? all.length) };
  }
  const count = o.sensors ?? 100;
  if (!o.api) return { sensors: anonymousSensors(count) };
  const runId = newRunId();
  const leaves = Array.from({ length: Math.ceil(count / o.perNode) }, (_, i) => `g${i + 1}`);
  progress.println(
    `provisioning ${count} sensors in ${leaves.length} grid node(s) through ${o.api.baseUrl} (run ${runId})`,
  );
  const result = await provision(new ApiClient(o.api), {
    runId,
    parentId: o.gridParent,
    leaves,
    sensors: Array.from({ length: count }, (_, i) => ({
      key: `s${String(i + 1).padStart(5, '0')}`,
      leaf: leaves[Math.floor(i / o.perNode)]!,
      quarantined: o.quarantine,
      ...(o.model !== undefined ? { model: o.model } : {}),
      ...(viaGateway(o.dialect) ? { friendlyName: `sim-${runId}-s${String(i + 1).padStart(5, '0')}` } : {}),
    })),
    onProgress: (done, total) => progress.update(`provisioned ${done}/${total} sensors`, done === total),
  });
  progress.done();
  const credentials = [...result.sensors.values()];
  const file = o.saveCredentials ?? `sim-credentials-${runId}.csv`;
  await writeCredentialsFile(file, credentials);
  progress.println(`credentials saved to ${file} (mode 0600); reuse them with --credentials ${file}`);
  if (viaGateway(o.dialect) && !o.gateway) {
    const gateway = await provisionGateway(
      new ApiClient(o.api),
      runId,
      credentials.map((c) => c.sensorId),
    );
    progress.println(
      `gateway ${gateway.username} registered for ${credentials.length} sensors (its secret is not saved)`,
    );
    return { sensors: credentials, gateway };
  }
  return { sensors: credentials };
}

export function formatFleetStatus(s: FleetSnapshot, rate: number, elapsedMs: number): string {
  return (
    `fleet ${formatDuration(elapsedMs)} | connected ${s.connected}/${s.connections}` +
    (s.connecting ? ` (+${s.connecting} connecting)` : '') +
    ` | ${rate.toFixed(1)} msg/s | sent ${s.sent} acked ${s.acked} | opens ${s.opens}` +
    ` | reconnects ${s.reconnects} drops ${s.linkDrops} missed ${s.missed} | errors ${s.errors}` +
    (s.refused ? ` (refused ${s.refused})` : '')
  );
}

export function formatFleetSummary(s: FleetSummary): string {
  const lines = [
    `fleet summary: ${s.sensors} sensors on ${s.connections} connection(s), ${s.dialect}, QoS ${s.qos}, heartbeat ${formatDuration(s.heartbeatMs)}, ran ${formatDuration(s.runMs)}`,
    `  connected at stop ${s.connected} (peak ${s.peakConnected}); all up after ${s.initialConnectMs === null ? 'never' : formatDuration(s.initialConnectMs)}${s.connectsPerSec ? ` (${s.connectsPerSec} connects/s)` : ''}`,
    `  connect latency ms p50 ${s.connectLatencyMs.p50} p99 ${s.connectLatencyMs.p99}; steady PUBACK ms p50 ${s.pubackLatencyMs.p50} p99 ${s.pubackLatencyMs.p99} p99.9 ${s.pubackLatencyMs.p999}`,
    `  sent ${s.sent} (${s.sentPerSec}/s overall, ${s.steadySentPerSec ?? '-'}/s once all were up), acked ${s.acked}, missed while down ${s.missed}, door openings ${s.opens}, flat batteries ${s.flat}`,
    `  reconnects ${s.reconnects}, link drops ${s.linkDrops}, storms ${s.storms}, errors ${s.errors} (refused ${s.refused})${s.lastError ? `, last error: ${s.lastError}` : ''}`,
    `  simulator event-loop delay p99 ${s.eventLoopDelayP99Ms} ms (steady), memory ${s.rssMiB} MiB`,
  ];
  return lines.join('\n');
}

/** Sleeps until --start-at; a time already past starts at once, and says by how much it was missed. */
async function waitForStart(startAt: number | undefined, progress: ProgressLine): Promise<void> {
  if (startAt === undefined) return;
  const waitMs = startAt - Date.now();
  const at = new Date(startAt).toISOString();
  if (waitMs <= 0) {
    progress.println(`fleet: --start-at ${at} was ${formatDuration(-waitMs)} ago; starting now`);
    return;
  }
  progress.println(`fleet: loaded; waiting ${formatDuration(waitMs)} until ${at}`);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}

export async function runFleetCli(argv: string[]): Promise<number> {
  const o = parseFleetArgs(argv, process.env);
  if (o.help) {
    process.stdout.write(FLEET_HELP);
    return 0;
  }
  const progress = new ProgressLine();
  const { sensors, gateway } = await sensorsFor(o, progress);
  if (sensors.length === 0) throw new UsageError('no sensors to simulate');
  const gatewayLogin = o.gateway ?? gateway;
  const fleetOptions: FleetOptions = {
    url: o.url,
    sensors,
    dialect: o.dialect,
    ...(gatewayLogin ? { gateway: gatewayLogin } : {}),
    heartbeatMs: o.heartbeatMs,
    jitter: o.jitter,
    qos: o.qos,
    seed: o.seed,
    opensPerDay: o.opensPerDay,
    batteryStart: o.battery,
    drainPerHour: o.drainPerHour,
    flakyProbability: o.flaky,
    flakyDownMs: o.flakyDown,
    ...(o.stormAtMs !== undefined ? { stormAtMs: o.stormAtMs } : {}),
    stormSpreadMs: o.stormSpreadMs,
    connectRatePerSec: o.connectRate,
    maxConnecting: o.maxConnecting,
    keepaliveSec: Math.max(30, Math.ceil((o.heartbeatMs * 2) / 1000)),
    ...(o.sourceAddresses ? { sourceAddresses: o.sourceAddresses } : {}),
  };
  const fleet = new Fleet(fleetOptions);
  await waitForStart(o.startAt, progress);
  progress.println(`fleet: ${sensors.length} sensors → ${o.url} (seed ${o.seed}); Ctrl-C to stop`);
  const stop = stopSignal(o.durationMs);
  const started = Date.now();
  let lastSent = 0;
  let lastAt = started;
  let rate = 0;
  const ticker = setInterval(() => {
    const snap = fleet.snapshot();
    const now = Date.now();
    rate = ((snap.sent - lastSent) * 1000) / Math.max(1, now - lastAt);
    lastSent = snap.sent;
    lastAt = now;
    progress.update(formatFleetStatus(snap, rate, now - started));
  }, 1000);
  // SIGUSR2: a storm now (a bench decides when, e.g. once every connection is up).
  const stormNow = () => fleet.storm();
  process.on('SIGUSR2', stormNow);
  fleet.start();
  const why = await stop.done;
  clearInterval(ticker);
  process.off('SIGUSR2', stormNow);
  stop.dispose();
  const summary = await fleet.stop();
  progress.done();
  process.stdout.write(`${why === 'interrupted' ? 'interrupted; ' : ''}${formatFleetSummary(summary)}\n`);
  if (o.json) await writeFile(o.json, `${JSON.stringify(summary, null, 2)}\n`);
  return summary.peakConnected > 0 ? 0 : 1;
}
