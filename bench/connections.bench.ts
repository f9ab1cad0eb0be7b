/**
 * How many seals one process holds, what each costs in memory, how fast they get in, and a network drop of
 * all of them at once (issue 20.3). The machine's open-file limit (20,000, not raisable here) counts per
 * process, so the seals come from two simulator processes (`npm run simulate -- fleet --credentials`),
 * each well under it and each from 250 loopback addresses of its own (as seals come from many); the
 * service holds all of them (about 18,000 plus its own files).
 *
 * 1. A bare Aedes (no hooks, in-memory) in its own process takes the same N connections from the same
 *    simulators: its RSS per 1,000 connections is the floor we compare with.
 * 2. The real service (`node dist/main.js`) on a DATA_DIR seeded with N sensors, each with its own secret
 *    (`$7$` hashes, bench/lib/seedFleet.ts), cold: every login checks its secret. Reported: connect rate
 *    (first accepted TCP connection → all N counted connected), RSS per 1,000 connections (RSS with N in,
 *    minus RSS before the first, both after a few seconds' settle), heartbeat PUBACK p50/p99 over a steady
 *    window at one heartbeat a minute per seal.
 * 3. A network drop: every simulator cuts all its sockets at once (SIGUSR2 → Fleet.storm(): sockets
 *    destroyed without DISCONNECT, so the service publishes every will) and all reconnect within 2 s.
 *    Reported: time until all are back, offline/outage alerts raised, seals the service counts offline
 *    at the end, and messages lost = acknowledged by the simulators but not counted by the service's
 *    ingest (accepted + duplicates, minus the wills it published itself).
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetSummary } from '../simulator/fleet/fleet.ts';
import { type RunningService, startService } from '../test/helpers/service.ts';
import buildService from '../test/setup/buildService.ts';
import { startBareAedesProcess } from './lib/brokers.ts';
import {
  exited,
  simulatorErrors,
  sourceAddressesFor,
  startFleetSimulator,
  togetherStartAt,
  writeCredentialParts,
} from './lib/fleetSimulators.ts';
import { cpuWindow, percentOfCore, processCpuSeconds } from './lib/processCpu.ts';
import { lowestRssMiB, processMemoryMiB } from './lib/processMemory.ts';
import { histogramBuckets, quantileBetween } from './lib/promHistogram.ts';
import { busyMachineNote } from './lib/repeat.ts';
import { seedFleet } from './lib/seedFleet.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

/** 18,000 seals + the service's own files stay under 20,000 open files in the service process. */
const SENSORS = Number(process.env.CONNECTIONS_N ?? 18_000);
const QUICK_SENSORS = 2_000;
/**
 * 9,000 sockets each, far from the limit. More processes cost more CPU per connect on two cores shared
 * with the service: connecting 18,000 seals from 250 loopback addresses each, four simulators took
 * 0.56-0.72 ms of their CPU per connect and got 1,026-1,845 connects/s; two, 0.40-0.45 ms and
 * 2,094-2,359/s; one, 0.37-0.38 ms and 2,439-2,494/s (two alternating rounds each, a fresh service each).
 */
const SIMULATORS = Number(process.env.CONNECTIONS_SIMULATORS ?? 2);
const HEARTBEAT = '1m';
/** Heartbeats acknowledged over this window, with every seal in, give the steady PUBACK latency. */
const STEADY_SECONDS = Number(process.env.CONNECTIONS_STEADY_SECONDS ?? 35);
const SETTLE_MS = 3_000;
/** How long the lowest RSS is looked for, idle and with all connected ("settled" figures). */
const SETTLED_WINDOW_MS = Number(process.env.CONNECTIONS_SETTLED_SECONDS ?? 30) * 1000;
const CONNECT_BOUND_MS = 60_000;
/** Per commit group, its first message's wait until durable (api/metrics.ts). */
const GROUP_WAIT = 'sealwatch_ingest_group_wait_seconds';

const round1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sockets a process holds (Linux): how many connections a process without metrics has accepted. */
const socketCount = (pid: number): number => {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
};

function startSimulator(url: string, csv: string, json: string, k: number, startAt: number): ChildProcess {
  return startFleetSimulator({
    url,
    startAt,
    sourceAddresses: sourceAddressesFor(k),
    credentials: csv,
    json,
    heartbeat: HEARTBEAT,
    durationSeconds: 600,
    maxConnecting: 100,
    // Spread so that some of the first interval falls in the steady window (the mean stays one a minute).
    extra: ['--jitter', '0.5', '--storm-spread', '2s'],
  });
}

async function stopSimulators(sims: ChildProcess[], jsons: string[]): Promise<FleetSummary[]> {
  for (const s of sims) s.kill('SIGTERM');
  await Promise.all(sims.map(exited));
  return jsons.map((j) => JSON.parse(readFileSync(j, 'utf8')) as FleetSummary);
}

/** Selected lines of the service's /metrics (any scraper may ask for names; the whole set is O(sensors)). */
async function metricsOf(svc: RunningService, names: string[]): Promise<string> {
  return (await svc.api('GET', `/metrics?name=${names.join(',')}`, undefined, null)).body as string;
}
const sample = (text: string, line: string): number =>
  Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
async function connectedNow(svc: RunningService): Promise<{ connected: number; opened: number }> {
  const text = await metricsOf(svc, ['sealwatch_mqtt_connections', 'sealwatch_mqtt_connections_opened']);
  return {
    connected: sample(text, 'sealwatch_mqtt_connections'),
    opened: sample(text, 'sealwatch_mqtt_connections_opened'),
  };
}

/**
 * Waits until `count()` reaches n; answers ms from the first sign of life (`started()`, when `onStarted`
 * runs: CPU windows start there, not during the simulators' --start-at wait), or null at the bound.
 */
async function waitForAll(
  n: number,
  count: () => Promise<{ now: number; started: boolean }>,
  boundMs: number,
  onStarted?: () => void,
): Promise<{ ms: number | null; reached: number }> {
  const t0 = performance.now();
  let firstAt: number | null = null;
  let reached = 0;
  while (performance.now() - t0 < boundMs) {
    const c = await count();
    reached = c.now;
    if (firstAt === null && c.started) {
      firstAt = performance.now();
      onStarted?.();
    }
    if (c.now >= n) return { ms: performance.now() - (firstAt ?? t0), reached };
    await sleep(100);
  }
  return { ms: null, reached };
}

/**
 * The service's heap compaction after a burst of logins (app/memory/): waits until it has made `count`
 * (bounded: a burst ends after 2 s without a connection) and answers the last one's figures, or null.
 */
async function memoryReleased(
  svc: RunningService,
  count: number,
): Promise<{ pauseMs: number; heapMiB: number } | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < 15_000) {
    const text = await metricsOf(svc, ['sealwatch_memory_release']);
    if (sample(text, 'sealwatch_memory_release{counter="releases"}') >= count)
      return {
        pauseMs: sample(text, 'sealwatch_memory_release{counter="last_pause_ms"}'),
        heapMiB: Math.round(
          sample(text, 'sealwatch_memory_release{counter="last_heap_released_bytes"}') / 2 ** 20,
        ),
      };
    await sleep(250);
  }
  return null;
}
const releaseText = (r: { pauseMs: number; heapMiB: number } | null) =>
  r === null ? 'none within 15 s' : `${r.pauseMs} / ${r.heapMiB}`;

const simulatorsCpuSeconds = (sims: readonly ChildProcess[]) =>
  sims.reduce((total, sim) => total + processCpuSeconds(sim.pid as number), 0);
const msPer = (seconds: number, n: number) => Math.round((seconds * 1000 * 100) / Math.max(1, n)) / 100;

/**
 * CPU while the seals connect, from when it is opened (the first connection the broker accepted, not
 * the simulators' --start-at wait): the broker's per connect, what limits the rate when the cores are
 * free, and its % of a core; the simulators' per connect, the load generator's share of the two cores.
 */
function connectCpu(pid: number, sims: readonly ChildProcess[]) {
  const t0 = performance.now();
  const broker0 = processCpuSeconds(pid);
  const sims0 = simulatorsCpuSeconds(sims);
  return {
    stop: (n: number) => {
      const broker = processCpuSeconds(pid) - broker0;
      return {
        percentOfCore: percentOfCore(broker, t0),
        msPerConnect: msPer(broker, n),
        simulatorsMsPerConnect: msPer(simulatorsCpuSeconds(sims) - sims0, n),
      };
    },
  };
}

const perThousand = (deltaMiB: number, n: number) => round1((deltaMiB / n) * 1000);

async function bareAedes(
  ctx: BenchContext,
  n: number,
  csvs: string[],
  dir: string,
  metrics: BenchResult['metrics'],
): Promise<void> {
  const broker = await startBareAedesProcess();
  const sims: ChildProcess[] = [];
  try {
    await sleep(SETTLE_MS);
    const idle = processMemoryMiB(broker.pid).rss;
    const idleSettled = await lowestRssMiB(broker.pid, SETTLED_WINDOW_MS);
    const idleSockets = socketCount(broker.pid);
    const jsons = csvs.map((_, k) => join(dir, `bare-${k}.json`));
    const startAt = togetherStartAt();
    for (const [k, csv] of csvs.entries())
      sims.push(startSimulator(broker.url, csv, jsons[k] as string, k, startAt));
    let cpu = connectCpu(broker.pid, sims);
    const all = await waitForAll(
      n,
      async () => {
        const now = socketCount(broker.pid) - idleSockets;
        return { now, started: now > 0 };
      },
      CONNECT_BOUND_MS,
      () => {
        cpu = connectCpu(broker.pid, sims);
      },
    );
    const connecting = cpu.stop(all.reached);
    await sleep(SETTLE_MS);
    const full = processMemoryMiB(broker.pid).rss;
    const fullSettled = await lowestRssMiB(broker.pid, SETTLED_WINDOW_MS);
    // The connections held when RSS was read (the ramp may have stopped short of N at the bound).
    const connected = Math.max(1, socketCount(broker.pid) - idleSockets);
    await stopSimulators(sims, jsons);
    metrics['bare Aedes: RSS idle / with all connected MiB'] = `${idle} / ${full}`;
    metrics['bare Aedes: RSS per 1,000 connections MiB'] = perThousand(full - idle, connected);
    metrics['bare Aedes: RSS per 1,000 connections, settled MiB'] = perThousand(
      fullSettled - idleSettled,
      connected,
    );
    metrics['bare Aedes: CPU ms per connect'] = connecting.msPerConnect;
    metrics['bare Aedes: the simulators’ CPU ms per connect (all of them)'] =
      connecting.simulatorsMsPerConnect;
    metrics['bare Aedes: connects/s (no authentication)'] =
      all.ms === null ? `bound hit (${all.reached}/${n})` : Math.round(n / (all.ms / 1000));
    ctx.log(
      `bare Aedes: ${connected} connected, RSS ${idle} → ${full} MiB (${perThousand(full - idle, connected)} MiB per 1,000); ${all.ms === null ? 'bound hit' : `${Math.round(n / (all.ms / 1000))} connects/s`}`,
    );
  } finally {
    for (const s of sims) s.kill('SIGKILL');
    await broker.stop();
  }
}

async function service(
  ctx: BenchContext,
  n: number,
  csvs: string[],
  dataDir: string,
  metrics: BenchResult['metrics'],
): Promise<void> {
  let svc: (RunningService & { cleanup(): Promise<void> }) | null = null;
  const sims: ChildProcess[] = [];
  try {
    svc = (await startService({
      dataDir,
      env: { HEARTBEAT_INTERVAL: HEARTBEAT, MISSED_HEARTBEATS: '3', ESCALATE_AFTER: '1h' },
      nodeArgs: process.env.CONNECTIONS_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [],
    })) as RunningService & { cleanup(): Promise<void> };
    const s = svc;
    await sleep(SETTLE_MS);
    const idle = processMemoryMiB(s.pid).rss;
    const idleSettled = await lowestRssMiB(s.pid, SETTLED_WINDOW_MS);
    const idleFiles = readdirSync(`/proc/${s.pid}/fd`).length;
    const jsons = csvs.map((_, k) => join(dataDir, `summary-${k}.json`));
    const startAt = togetherStartAt();
    for (const [k, csv] of csvs.entries())
      sims.push(startSimulator(s.mqttUrl, csv, jsons[k] as string, k, startAt));
    let cpu = connectCpu(s.pid, sims);
    const all = await waitForAll(
      n,
      async () => {
        const c = await connectedNow(s);
        return { now: c.connected, started: c.opened > 0 };
      },
      CONNECT_BOUND_MS,
      () => {
        cpu = connectCpu(s.pid, sims);
      },
    );
    const connecting = cpu.stop(all.reached);
    const rate = all.ms === null ? null : Math.round(n / (all.ms / 1000));
    ctx.log(
      `service: ${all.reached}/${n} connected${rate === null ? ' (bound hit)' : `, ${rate} connects/s`}, CPU ${connecting.percentOfCore} % of a core`,
    );
    // The peak the logins reached, before the service gives back what they grew (MEMORY_RELEASE_AFTER_LOGINS).
    const peakAfterLogins = processMemoryMiB(s.pid).peak;
    const release = await memoryReleased(s, 1);
    ctx.log(`service: memory release after the logins: ${releaseText(release)}`);
    await sleep(SETTLE_MS);
    const full = processMemoryMiB(s.pid);
    // prom-client fills the three heap gauges in one collect, that of the total.
    const heap = await metricsOf(s, [
      'sealwatch_process_nodejs_heap_size_total_bytes',
      'sealwatch_process_nodejs_heap_size_used_bytes',
    ]);
    // Per connection counted, should the bound have stopped the ramp short of N.
    const inAll = Math.max(1, all.reached);
    ctx.log(`service: RSS ${idle} → ${full.rss} MiB (${perThousand(full.rss - idle, inAll)} MiB per 1,000)`);

    // Steady state: one heartbeat a minute per seal.
    const groupWait = async () => histogramBuckets(await metricsOf(s, [GROUP_WAIT]), GROUP_WAIT);
    const waitBefore = await groupWait();
    const steadyCpu = cpuWindow(s.pid);
    const fullSettled = await lowestRssMiB(s.pid, STEADY_SECONDS * 1000);
    const steadyCpuPct = steadyCpu.stop();
    const afterSteady = processMemoryMiB(s.pid).rss;
    // The service's own share of a heartbeat's PUBACK latency, apart from the simulators' event loops.
    const waitAfter = await groupWait();
    const waitMs = (q: number) => round1((quantileBetween(waitBefore, waitAfter, q) ?? Number.NaN) * 1000);

    // The network drop: every socket of every simulator cut at once, all back within 2 s.
    const before = await metricsOf(s, ['sealwatch_ingest']);
    const droppedAtStorm = (await connectedNow(s)).connected;
    const stormCpu = cpuWindow(s.pid);
    for (const sim of sims) sim.kill('SIGUSR2');
    // Wait for the drop to be seen before waiting for everyone back.
    await waitForAll(1, async () => ({ now: n - (await connectedNow(s)).connected, started: true }), 5_000);
    const back = await waitForAll(
      n,
      async () => ({ now: (await connectedNow(s)).connected, started: true }),
      CONNECT_BOUND_MS,
    );
    const stormCpuPct = stormCpu.stop();
    const peakAfterStorm = processMemoryMiB(s.pid).peak;
    const stormRelease = await memoryReleased(s, 2);
    ctx.log(
      `storm: ${back.ms === null ? `bound hit, ${back.reached}/${n} back` : `all back after ${round1(back.ms / 1000)} s`}, CPU ${stormCpuPct} %`,
    );
    // Heartbeats sent at the reconnect commit; then the counts, before the simulators stop (their wills
    // would mark every seal offline).
    await sleep(SETTLE_MS);
    const offlineAtEnd = sample(await metricsOf(s, ['sealwatch_seals']), 'sealwatch_seals{state="offline"}');
    const droppedAtStop = (await connectedNow(s)).connected;
    const summaries = await stopSimulators(sims, jsons);
    await sleep(1_000);
    const after = await metricsOf(s, ['sealwatch_ingest']);
    const alerts = async (type: string) =>
      ((await s.api('GET', `/api/alerts?type=${type}&limit=1000`)).body as unknown[]).length;
    const offlineAlerts = await alerts('offline');
    const outageAlerts = await alerts('outage');

    const acked = summaries.reduce((t, x) => t + x.acked, 0);
    const ingested = (text: string) =>
      sample(text, 'sealwatch_ingest{counter="accepted"}') +
      sample(text, 'sealwatch_ingest{counter="duplicates"}');
    // Wills are the service's own messages: one per logged-in connection that ended without DISCONNECT,
    // at the drop and again when the simulators stopped (abruptly too); counted from its own gauge.
    const wills = droppedAtStorm + droppedAtStop;
    const lost = Math.max(0, acked - (ingested(after) - wills));
    const pubSteady = summaries.map((x) => x.pubackLatencyBeforeStormMs);
    const p = (k: 'p50' | 'p99') => pubSteady.map((l) => (l ? round1(l[k]) : 'n/a')).join(', ');
    const samples = pubSteady.reduce((t, l) => t + (l?.count ?? 0), 0);
    const stormP99 = summaries.map((x) => round1(x.pubackLatencyMs.p99)).join(', ');

    metrics['service: seals connected (each its own secret)'] = all.reached;
    metrics['service: RSS idle / with all connected / after steady window MiB'] =
      `${idle} / ${full.rss} / ${afterSteady}`;
    metrics['service: RSS per 1,000 connections MiB'] = perThousand(full.rss - idle, inAll);
    metrics['service: RSS idle / with all connected, settled MiB'] = `${idleSettled} / ${fullSettled}`;
    metrics['service: RSS per 1,000 connections, settled MiB'] = perThousand(
      fullSettled - idleSettled,
      inAll,
    );
    metrics['service: peak RSS while connecting (VmHWM) MiB, per 1,000 connections'] =
      `${peakAfterLogins}, ${perThousand(peakAfterLogins - idle, inAll)}`;
    metrics['service: heap compaction after the logins: pause ms / V8 heap given back MiB'] =
      releaseText(release);
    metrics['service: V8 heap used / total with all connected MiB'] =
      `${Math.round(sample(heap, 'sealwatch_process_nodejs_heap_size_used_bytes') / 2 ** 20)} / ${Math.round(sample(heap, 'sealwatch_process_nodejs_heap_size_total_bytes') / 2 ** 20)}`;
    metrics['service: authenticated connects/s (cold process)'] = rate ?? `bound hit (${all.reached}/${n})`;
    metrics['service: CPU % of one core while connecting / steady'] =
      `${connecting.percentOfCore} / ${steadyCpuPct}`;
    metrics['service: CPU ms per connect (login included)'] = connecting.msPerConnect;
    metrics['service: the simulators’ CPU ms per connect (all of them)'] = connecting.simulatorsMsPerConnect;
    metrics['service: heartbeat PUBACK p50 / p99 ms, steady (per simulator)'] = `${p('p50')} / ${p('p99')}`;
    metrics['service: heartbeats acknowledged in the steady window'] = samples;
    metrics['service: commit group wait inside the service p50 / p99 ms, steady window'] =
      `${waitMs(0.5)} / ${waitMs(0.99)}`;
    // A county on paper, from this run's figures (deploy/README.md explains them).
    const county = 50_000;
    const perConn = (full.rss - idle) / inAll;
    const perConnSettled = (fullSettled - idleSettled) / inAll;
    const peakPerConn = (peakAfterLogins - idle) / inAll;
    metrics[
      `${county} seals on one process, projected: RSS MiB right after the logins (settled) / peak while connecting / open files / CPU ms to let all in`
    ] =
      `${Math.round(idle + perConn * county)} (${Math.round(idleSettled + perConnSettled * county)}) / ${Math.round(idle + peakPerConn * county)} / ${idleFiles + county} / ${Math.round(connecting.msPerConnect * county)}`;
    if (release)
      metrics[`${county} seals, projected heap compaction pause after the logins ms`] = Math.round(
        (release.pauseMs * county) / inAll,
      );
    metrics[`${county} seals, projected steady CPU % of one core at one heartbeat a minute`] = round1(
      (steadyCpuPct * county) / inAll,
    );
    metrics['storm: all back after s'] =
      back.ms === null
        ? `not within ${CONNECT_BOUND_MS / 1000} (${back.reached}/${n})`
        : round1(back.ms / 1000);
    metrics['storm: reconnects/s'] = back.ms === null ? 'bound hit' : Math.round(n / (back.ms / 1000));
    metrics['storm: PUBACK p99 ms during and after it (per simulator)'] = stormP99;
    metrics['storm: peak RSS (VmHWM) MiB / heap compaction after it: pause ms / heap given back MiB'] =
      `${peakAfterStorm} / ${releaseText(stormRelease)}`;
    metrics['storm: offline / outage alerts raised'] = `${offlineAlerts} / ${outageAlerts}`;
    metrics['storm: seals the service counts offline after it'] = offlineAtEnd;
    metrics['storm: messages acknowledged by the simulators / lost'] = `${acked} / ${lost}`;
    metrics['simulator errors (refused)'] = simulatorErrors(summaries);
    ctx.log(
      `storm: alerts ${offlineAlerts}/${outageAlerts}, acked ${acked}, ingested ${ingested(after)} (before storm ${ingested(before)}), lost ${lost}; PUBACK steady p99 ${p('p99')} ms`,
    );
  } finally {
    for (const sim of sims) sim.kill('SIGKILL');
    if (svc) await svc.cleanup();
  }
}

interface ProbeResult {
  heapPerConnectionBytes: number;
  rssMiBPer1000: number;
}

/**
 * Live heap per connection after a full GC, bare Aedes against our broker (bench/lib/connectionMemoryProbe.ts,
 * each in its own process, same flags as the service gets): where RSS per 1,000 mixes in the room V8 keeps
 * between collections, this is what a connection keeps alive.
 */
function heapPerConnection(ctx: BenchContext, n: number, metrics: BenchResult['metrics']): void {
  const probe = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'connectionMemoryProbe.ts');
  const flags = process.env.CONNECTIONS_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  const run = (kind: 'bare' | 'ours') =>
    JSON.parse(
      execFileSync(process.execPath, [...flags, '--import', 'tsx', probe, kind, String(n)], {
        encoding: 'utf8',
      }),
    ) as ProbeResult;
  const bare = run('bare');
  const ours = run('ours');
  metrics['live heap per connection after GC, bare Aedes / ours (bytes)'] =
    `${bare.heapPerConnectionBytes} / ${ours.heapPerConnectionBytes}`;
  metrics['in-process probe: RSS per 1,000 connections, bare Aedes / ours MiB'] =
    `${bare.rssMiBPer1000} / ${ours.rssMiBPer1000}`;
  ctx.log(
    `probe (${n} connections${flags.length ? `, ${flags.join(' ')}` : ''}): live heap per connection bare ${bare.heapPerConnectionBytes} B, ours ${ours.heapPerConnectionBytes} B`,
  );
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? QUICK_SENSORS : SENSORS;
  const loadBefore = os.loadavg()[0] ?? 0;
  buildService();
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-bench-connections-'));
  const metrics: BenchResult['metrics'] = {};
  try {
    ctx.log(`seeding ${n} sensors, each with its own secret…`);
    const fleet = await seedFleet(dataDir, {
      sensors: n,
      townships: 10,
      villagesPerTownship: 5,
      groupsPerVillage: 6,
      drivers: 0,
      armedDriverEvery: 0,
      secrets: 'own',
    });
    heapPerConnection(ctx, Math.min(n, 5_000), metrics);
    const csvs = writeCredentialParts(dataDir, fleet.credentials, SIMULATORS);
    await bareAedes(ctx, n, csvs, dataDir, metrics);
    await service(ctx, n, csvs, dataDir, metrics);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const busy = busyMachineNote(loadBefore, os.loadavg()[0] ?? 0);
  return {
    name: 'connections',
    metrics,
    notes: [
      `${n} seals from ${SIMULATORS} simulator processes (npm run simulate -- fleet --credentials, 100 CONNECTs in flight each, no pacing; all loaded before the first connects, --start-at; each from 250 loopback addresses of its own, --source-addresses), one MQTT 3.1.1 connection each with client id = username, its own secret, a will, a retained \`online\` and a QoS 1 heartbeat at once and then every ${HEARTBEAT} (uniform within ±50 %, so that the first intervals of the seals that connected first end in the steady window); the service runs with HEARTBEAT_INTERVAL=${HEARTBEAT}, MISSED_HEARTBEATS=3. Service, bare Aedes and simulators share the same two cores.`,
      'RSS per 1,000 connections = (RSS with all connected − RSS before the first), read from /proc 3 s after the service compacted its heap once the logins were over (app/memory/, MEMORY_RELEASE_AFTER_LOGINS; bare Aedes: 3 s after all connected), divided by N. The peak (VmHWM) is what the logins needed before that. "Settled": the same from the lowest RSS over a window, idle (30 s) and with all connected (30 s for bare Aedes, the steady window for the service). Bare Aedes = Aedes with no hooks and in-memory persistence, in its own process, same simulators, same N.',
      'Live heap per connection: bench/lib/connectionMemoryProbe.ts, bare Aedes and our broker (createBroker with stand-ins for the login and ingest) each in its own process, min(N, 5,000) seal-like connections from another process, heap used after two forced full GCs minus before.',
      "Connect rate: from the first TCP connection the service accepted to sealwatch_mqtt_connections = N (polled every 100 ms). Steady PUBACK: heartbeats acknowledged between all connected and the drop (simulator-side, CONNECT → CONNACK not included; a pause of a simulator's own event loop counts). Inside the service: sealwatch_ingest_group_wait_seconds over the steady window (per commit group, its first message until durable).",
      "Storm: SIGUSR2 makes every simulator destroy all its sockets at once (no DISCONNECT: the service publishes every will), each reconnects within 2 s. Lost = acknowledged by the simulators − (ingest accepted + duplicates − the wills the service published, one per abrupt close: N at the drop, N when the simulators stop). Offline alerts cannot be raised within the start-up grace (one 3 min window), so the storm is also judged by the seals the service counts offline at the end (0 = every seal's reconnect status and heartbeat committed).",
      ...(busy ? [busy] : []),
    ],
  };
}
