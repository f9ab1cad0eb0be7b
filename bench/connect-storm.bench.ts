/**
 * A restart's reconnect storm: how fast a cold service lets its whole fleet back in. The real service
 * (`node dist/main.js`) starts on a DATA_DIR seeded with N sensors, each with its own secret (seeded through
 * the project's store, bench/lib/seedFleet.ts), and is ready before the first CONNECT: nothing is cached, so
 * every login checks its secret against the stored hash. Then simulator processes (`npm run simulate --
 * fleet --credentials`) connect every sensor at once, 100 CONNECTs in flight each, and stop when the service
 * counts all N connected, or at a time bound. Reported: authenticated connects per second (N / time until all
 * were connected, from the first TCP connection the service accepted) and the simulators' connect latency
 * (CONNECT sent → CONNACK).
 *
 * The `scrypt` case seeds the hashes an older release wrote: its logins pay scrypt, as every restart did
 * before, and each stores its `$7$` hash (the first start after the upgrade).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FleetSummary } from '../simulator/fleet/fleet.ts';
import { legacyScryptHash } from '../test/helpers/legacySecretHash.ts';
import { type RunningService, startService } from '../test/helpers/service.ts';
import buildService from '../test/setup/buildService.ts';
import {
  exited,
  simulatorErrors,
  sourceAddressesFor,
  startFleetSimulator,
  writeCredentialParts,
} from './lib/fleetSimulators.ts';
import { cpuWindow } from './lib/processCpu.ts';
import { busyMachineNote } from './lib/repeat.ts';
import { seedFleet } from './lib/seedFleet.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

interface Case {
  sensors: number;
  hash: 'pbkdf2' | 'scrypt';
  /** Stop the simulators here even if not everyone is in. */
  boundSeconds: number;
  /**
   * A restart as a county lives it: the service and the seals on a short heartbeat (seconds), every
   * household armed, and the question is how many offline or outage alerts the storm raises (none
   * may: every seal is logging back in).
   */
  heartbeatSeconds?: number;
}

const FULL: Case[] = [
  { sensors: 3_000, hash: 'scrypt', boundSeconds: 60 },
  { sensors: 3_000, hash: 'pbkdf2', boundSeconds: 60 },
  // 15,000 sockets in the service and 7,500 in each simulator: under the open-file limit of 20,000.
  { sensors: 15_000, hash: 'pbkdf2', boundSeconds: 90 },
  { sensors: 15_000, hash: 'pbkdf2', boundSeconds: 90, heartbeatSeconds: 3 },
];
const QUICK: Case[] = [
  { sensors: 300, hash: 'scrypt', boundSeconds: 30 },
  { sensors: 1_000, hash: 'pbkdf2', boundSeconds: 30 },
];
// Knobs for profiling runs; the defaults are what the README reports.
/** e.g. `3000:pbkdf2,15000:pbkdf2,15000:pbkdf2:hb8`: run only these cases. */
const ONLY = process.env.CONNECT_STORM_CASES?.split(',').map((c) => c.trim());
/** A folder: the service runs with `--cpu-prof` and writes its profile there when it stops. */
const PROFILE_DIR = process.env.CONNECT_STORM_CPU_PROF;
/** Extra Node.js options for the service, space-separated (e.g. `--max-semi-space-size=32`). */
const NODE_ARGS = process.env.CONNECT_STORM_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
const SIMULATORS = Number(process.env.CONNECT_STORM_SIMULATORS ?? 2);
const IN_FLIGHT_EACH = Number(process.env.CONNECT_STORM_IN_FLIGHT ?? 100);

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Only the two gauges: the whole /metrics costs O(sensors + open files), too much ten times a second. */
async function countsNow(svc: RunningService): Promise<{ connected: number; opened: number }> {
  const text = (
    await svc.api(
      'GET',
      '/metrics?name=sealwatch_mqtt_connections,sealwatch_mqtt_connections_opened',
      undefined,
      null,
    )
  ).body as string;
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    connected: gauge('sealwatch_mqtt_connections'),
    opened: gauge('sealwatch_mqtt_connections_opened'),
  };
}

function startSimulator(
  url: string,
  csv: string,
  json: string,
  boundSeconds: number,
  heartbeat: string,
  k: number,
): ChildProcess {
  // Quiet devices (10m) unless the case asks for a county's heartbeat: the storm is the logins.
  return startFleetSimulator({
    url,
    sourceAddresses: sourceAddressesFor(k),
    credentials: csv,
    json,
    heartbeat,
    durationSeconds: boundSeconds + 30,
    maxConnecting: IN_FLIGHT_EACH,
  });
}

async function runCase(ctx: BenchContext, c: Case, metrics: BenchResult['metrics']): Promise<void> {
  const label = `${c.sensors.toLocaleString('en')} sensors, ${c.hash === 'scrypt' ? 'scrypt (before)' : '$7$ PBKDF2 (after)'}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-bench-connect-'));
  let svc: (RunningService & { cleanup(): Promise<void> }) | null = null;
  const sims: ChildProcess[] = [];
  try {
    ctx.log(`${label}: seeding…`);
    const fleet = await seedFleet(dataDir, {
      sensors: c.sensors,
      townships: 10,
      villagesPerTownship: 5,
      groupsPerVillage: 6,
      drivers: 0,
      armedDriverEvery: 0,
      secrets: 'own',
      ...(c.hash === 'scrypt' ? { hash: legacyScryptHash } : {}),
    });
    ctx.log(`  seeded in ${round1(fleet.seconds.hash + fleet.seconds.registry + fleet.seconds.states)} s`);
    const csvs = writeCredentialParts(dataDir, fleet.credentials, SIMULATORS);

    // A long heartbeat interval, unless the case is about false alarms: the seeded fleet is silent until
    // the simulators log in.
    const heartbeat = c.heartbeatSeconds ? `${c.heartbeatSeconds}s` : '10m';
    // The engine's start-up grace begins during start-up: counting from before the start is the earliest it can end.
    const startingAt = performance.now();
    svc = (await startService({
      dataDir,
      env: {
        HEARTBEAT_INTERVAL: heartbeat,
        MISSED_HEARTBEATS: '3',
        ESCALATE_AFTER: '1h',
      },
      nodeArgs: [
        ...NODE_ARGS,
        ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`] : []),
      ],
    })) as RunningService & { cleanup(): Promise<void> };
    ctx.log(`  service ready (pid ${svc.pid}); ${SIMULATORS} simulators connect everyone`);

    const cpu = cpuWindow(svc.pid);
    const t0 = performance.now();
    const jsons = csvs.map((_, k) => join(dataDir, `summary-${k}.json`));
    for (let k = 0; k < SIMULATORS; k++)
      sims.push(
        startSimulator(svc.mqttUrl, csvs[k] as string, jsons[k] as string, c.boundSeconds, heartbeat, k),
      );
    // Whether the simulators, on the same cores, are what limits the rate.
    const simCpus = sims.map((s) => cpuWindow(s.pid as number));
    // From the first connection the service accepted (not from spawning the simulators, whose start-up
    // is not the service's) until it counts everyone connected.
    let connected = 0;
    let firstAt: number | null = null;
    let allInMs: number | null = null;
    let lastLog = t0;
    // Without waiting for the log-in queue, offline alerts would start one window plus one interval
    // after the start: how many seals were still outside then.
    const fixedGraceEndsAt = c.heartbeatSeconds ? startingAt + c.heartbeatSeconds * 4_000 : null;
    let connectedAtFixedGraceEnd: number | null = null;
    while (performance.now() - t0 < c.boundSeconds * 1000) {
      const now = await countsNow(svc);
      connected = now.connected;
      if (
        fixedGraceEndsAt !== null &&
        connectedAtFixedGraceEnd === null &&
        performance.now() >= fixedGraceEndsAt
      )
        connectedAtFixedGraceEnd = connected;
      if (firstAt === null && now.opened > 0) firstAt = performance.now();
      if (connected >= c.sensors) {
        allInMs = performance.now() - (firstAt ?? t0);
        break;
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        ctx.log(`  ${connected}/${c.sensors} connected after ${round1((lastLog - t0) / 1000)} s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const elapsedMs = allInMs ?? performance.now() - (firstAt ?? t0);
    // CPU over the storm only, not the quiet wait for false alarms after it.
    const serverCpu = cpu.stop();
    const simCpu = simCpus.map((w) => w.stop());
    const falseAlarms = c.heartbeatSeconds ? await falseAlarmsAfter(svc, c.heartbeatSeconds) : null;
    for (const s of sims) s.kill('SIGTERM');
    await Promise.all(sims.map(exited));
    const summaries = jsons.map((j) => JSON.parse(readFileSync(j, 'utf8')) as FleetSummary);
    const p50s = summaries.map((s) => s.connectLatencyMs.p50);
    const p99s = summaries.map((s) => s.connectLatencyMs.p99);
    const errors = summaries.reduce((n, s) => n + s.errors, 0);
    const upgraded = c.hash === 'scrypt' ? await countMosquittoHashes(svc) : null;
    const group = await messagesPerCommit(svc);

    const key = `N=${c.sensors} ${c.hash}${c.heartbeatSeconds ? ` heartbeat ${c.heartbeatSeconds}s` : ''}`;
    if (falseAlarms !== null) {
      metrics[`${key}: offline / outage alerts raised (all seals logging back in)`] =
        `${falseAlarms.offline} / ${falseAlarms.outage}`;
      metrics[`${key}: connected when a fixed grace would have ended`] =
        `${connectedAtFixedGraceEnd ?? connected}/${c.sensors}`;
      ctx.log(
        `  offline alerts ${falseAlarms.offline}, outage alerts ${falseAlarms.outage}; ${connectedAtFixedGraceEnd ?? connected}/${c.sensors} were in when a fixed grace would have ended`,
      );
    }
    const rate = Math.round((allInMs === null ? connected : c.sensors) / (elapsedMs / 1000));
    metrics[`${key}: authenticated connects/s`] = allInMs === null ? `${rate} (bound hit)` : rate;
    metrics[`${key}: all connected after s`] =
      allInMs === null ? `not within ${c.boundSeconds} (${connected}/${c.sensors})` : round1(allInMs / 1000);
    metrics[`${key}: connect latency p50 / p99 ms (per simulator)`] =
      `${p50s.map(round1).join(', ')} / ${p99s.map(round1).join(', ')}`;
    metrics[`${key}: server CPU % of one core`] = serverCpu;
    metrics[`${key}: simulator CPU % of one core (each)`] = simCpu.join(', ');
    metrics[`${key}: simulator errors (refused)`] = simulatorErrors(summaries);
    metrics[`${key}: messages per ingest commit (group size)`] = group;
    if (upgraded !== null) metrics[`${key}: hashes upgraded to $7$ by the logins`] = upgraded;
    ctx.log(
      `  ${allInMs === null ? `bound hit: ${connected}/${c.sensors}` : `all in after ${round1(allInMs / 1000)} s`}: ${rate} connects/s; latency p50 ${p50s.join(', ')} p99 ${p99s.join(', ')} ms; server CPU ${serverCpu} %, simulators ${simCpu.join(', ')} %; ${group} messages per commit; errors ${errors}${upgraded === null ? '' : `; upgraded ${upgraded}`}`,
    );
  } finally {
    for (const s of sims) s.kill('SIGKILL');
    // A profile is written only at a clean exit; cleanup() kills.
    if (svc && PROFILE_DIR) await svc.stop();
    if (svc) await svc.cleanup();
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Waits past the grace (window + hold + two sweeps) with every seal in and beating, then counts what was raised. */
async function falseAlarmsAfter(svc: RunningService, heartbeatSeconds: number) {
  await new Promise((r) => setTimeout(r, (heartbeatSeconds * 4 + 3) * 1000));
  // Any state: one raised and resolved again is a false alarm too.
  const count = async (type: string) =>
    ((await svc.api('GET', `/api/alerts?type=${type}&limit=1000`)).body as unknown[]).length;
  return { offline: await count('offline'), outage: await count('outage') };
}

async function messagesPerCommit(svc: RunningService): Promise<number> {
  const text = (await svc.api('GET', '/metrics?name=sealwatch_ingest', undefined, null)).body as string;
  const counter = (name: string) =>
    Number(new RegExp(`^sealwatch_ingest\\{counter="${name}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return round1(counter('accepted') / Math.max(1, counter('commits')));
}

async function countMosquittoHashes(svc: RunningService): Promise<number> {
  // Upgrades are written in groups every 50 ms; give the last group a moment.
  await new Promise((r) => setTimeout(r, 500));
  let n = 0;
  for (let offset = 0; ; offset += 10_000) {
    const page = (await svc.api('GET', `/api/broker/passwd?limit=10000&offset=${offset}`)).body as {
      items: Array<{ mosquittoHash: string | null }>;
      total: number;
    };
    n += page.items.filter((d) => d.mosquittoHash !== null).length;
    if (offset + page.items.length >= page.total || page.items.length === 0) return n;
  }
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const cases = (ctx.quick ? QUICK : FULL).filter(
    (c) =>
      !ONLY || ONLY.includes(`${c.sensors}:${c.hash}${c.heartbeatSeconds ? `:hb${c.heartbeatSeconds}` : ''}`),
  );
  const metrics: BenchResult['metrics'] = {};
  const loadBefore = os.loadavg()[0]!;
  buildService();
  for (const c of cases) await runCase(ctx, c, metrics);
  const busy = busyMachineNote(loadBefore, os.loadavg()[0]!);
  return {
    name: 'connect-storm',
    metrics,
    notes: [
      `A cold service (started on the seeded DATA_DIR, ready, no login yet) and ${SIMULATORS} simulator processes (npm run simulate -- fleet --credentials), ${IN_FLIGHT_EACH} CONNECTs in flight each, no pacing, on the same two cores. Each sensor has its own secret; each login is one real MQTT 3.1.1 CONNECT with client id = username, a will, then a retained \`online\`. "All connected" is the service's sealwatch_mqtt_connections reaching N, polled every 100 ms, timed from the first TCP connection the service accepted (sealwatch_mqtt_connections_opened > 0), so the simulators' own start-up is left out. Each simulator connects from 250 loopback addresses of its own (--source-addresses). Latency is per simulator (CONNECT → CONNACK, from its JSON summary).`,
      'scrypt = hashes as the older release wrote them (N=16384, r=8, p=1): the logins of any restart before, and of the first one after the upgrade, which also stores each device’s $7$ hash. $7$ PBKDF2 = every restart after that.',
      ...(busy ? [busy] : []),
    ],
  };
}
