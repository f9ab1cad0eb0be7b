/**
 * Over 400 lines: one scenario with its seeding, two phases and their report; split, the phases would share
 * half their setup through parameters.
 *
 * The read side at county scale, against the real service (`node dist/main.js`):
 *
 * 1. With 100,000 sensors registered, armed and with live state (seeded straight into DATA_DIR through the
 *    project's own SQLite store before the service starts, see bench/lib/seedFleet.ts), the latency and size
 *    of GET /api/seals (default page, and a filtered query) and GET /api/overview (counts per node for the whole
 *    tree), one request at a time and from 8 concurrent clients.
 * 2. 200 SSE clients on GET /api/events (half whole-county with the admin token, half scoped to a township
 *    with a monitor token) while seal state changes arrive over MQTT from connected sensors toggling their
 *    doors, first 200/s (a baseline the service keeps up with), then 2,000/s: per-event delivery lag at the
 *    clients, events delivered vs expected, PUBACK latency, and the server's CPU and memory.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createLatencyHistogram, recordMs, summarizeLatency } from '../simulator/load/latency.ts';
import { connectSensor } from '../test/helpers/mqtt.ts';
import { type RunningService, startService } from '../test/helpers/service.ts';
import buildService from '../test/setup/buildService.ts';
import { cpuWindow } from './lib/processCpu.ts';
import { processMemoryMiB } from './lib/processMemory.ts';
import { busyMachineNote } from './lib/repeat.ts';
import { type SeededFleet, seedFleet } from './lib/seedFleet.ts';
import { type SseFleet, startSseFleet } from './lib/sseFleet.ts';
import type { SseClientSpec } from './lib/sseFleetWorker.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Milliseconds on CLOCK_MONOTONIC, the clock the SSE worker thread reads too. */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const round1 = (v: number) => Math.round(v * 10) / 10;
const alive = (svc: RunningService) => existsSync(`/proc/${svc.pid}`);

/** Why the service process died, from what it printed last: the error line and its first frames in our code. */
function crashReason(svc: RunningService): string {
  const text = svc.logs.filter((l): l is string => typeof l === 'string').map((l) => l.trim());
  const fatal = svc.logs
    .filter((l) => typeof l === 'object' && Number(l.level) >= 50)
    .map((l) => JSON.stringify(l));
  const error = text.find((l) => /^(\w*Error\b|FATAL)/.test(l)) ?? fatal.at(-1) ?? 'no error printed';
  const frames = text.filter((l) => l.startsWith('at ') && !/node_modules|node:/.test(l)).slice(0, 3);
  return [error, ...frames].join(' ').replaceAll(`${process.cwd()}/`, '').slice(0, 600);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return round1(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!);
}

interface Config {
  shape: { sensors: number; townships: number; villagesPerTownship: number; groupsPerVillage: number };
  api: { seqMax: number; seqBudgetMs: number; concurrency: number; concMax: number; concBudgetMs: number };
  sse: { countyWide: number; township: number };
  /** Connected sensors; every `armedEvery`th is on an armed household. */
  mqtt: { sensors: number; armedEvery: number };
  /**
   * Live phases, in order: door changes per second, for how long, and the longest wait for stragglers. A
   * warm-up phase (JIT, first alert per armed sensor, connections) is run but not reported.
   */
  phases: Array<{ rate: number; seconds: number; drainMs: number; warmUp?: boolean }>;
}

const FULL: Config = {
  shape: { sensors: 100_000, townships: 15, villagesPerTownship: 20, groupsPerVillage: 10 },
  api: { seqMax: 300, seqBudgetMs: 15_000, concurrency: 8, concMax: 400, concBudgetMs: 8_000 },
  sse: { countyWide: 100, township: 100 },
  mqtt: { sensors: 500, armedEvery: 20 },
  phases: [
    { rate: 200, seconds: 3, drainMs: 5_000, warmUp: true },
    { rate: 200, seconds: 10, drainMs: 10_000 },
    { rate: 2_000, seconds: 25, drainMs: 10_000 },
  ],
};

const QUICK: Config = {
  shape: { sensors: 20_000, townships: 5, villagesPerTownship: 10, groupsPerVillage: 10 },
  api: { seqMax: 50, seqBudgetMs: 3_000, concurrency: 8, concMax: 80, concBudgetMs: 2_000 },
  sse: { countyWide: 20, township: 20 },
  mqtt: { sensors: 100, armedEvery: 20 },
  phases: [
    { rate: 100, seconds: 2, drainMs: 5_000, warmUp: true },
    { rate: 100, seconds: 4, drainMs: 5_000 },
    { rate: 500, seconds: 6, drainMs: 5_000 },
  ],
};

async function get(svc: RunningService, path: string, token: string): Promise<{ ms: number; body: Buffer }> {
  const t0 = performance.now();
  const res = await fetch(`${svc.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.toString().slice(0, 300)}`);
  return { ms, body };
}

interface ApiScenario {
  label: string;
  path: string;
}

async function measureApi(
  ctx: BenchContext,
  svc: RunningService,
  cfg: Config['api'],
  s: ApiScenario,
  metrics: BenchResult['metrics'],
): Promise<void> {
  const token = svc.adminToken;
  // Warm-up (JIT, first-touch allocations); also checks the answer.
  const first = await get(svc, s.path, token);
  await get(svc, s.path, token);
  const parsed = JSON.parse(first.body.toString()) as {
    total?: number;
    items?: unknown[];
    nodes?: unknown[];
  };
  const what =
    parsed.nodes !== undefined
      ? `${parsed.nodes.length} nodes`
      : `${parsed.items?.length} of ${parsed.total} seals`;

  const seq: number[] = [];
  let cpu = cpuWindow(svc.pid);
  const seqStart = performance.now();
  while (seq.length < cfg.seqMax && performance.now() - seqStart < cfg.seqBudgetMs) {
    seq.push((await get(svc, s.path, token)).ms);
  }
  const seqCpu = cpu.stop();
  seq.sort((a, b) => a - b);

  const conc: number[] = [];
  cpu = cpuWindow(svc.pid);
  const concStart = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: cfg.concurrency }, async () => {
      while (issued < cfg.concMax && performance.now() - concStart < cfg.concBudgetMs) {
        issued++;
        conc.push((await get(svc, s.path, token)).ms);
      }
    }),
  );
  const concSeconds = (performance.now() - concStart) / 1000;
  const concCpu = cpu.stop();
  conc.sort((a, b) => a - b);

  const k = s.label;
  metrics[`${k}: answer`] = what;
  metrics[`${k}: response KiB`] = round1(first.body.length / 1024);
  metrics[`${k}: sequential n`] = seq.length;
  metrics[`${k}: sequential p50 ms`] = percentile(seq, 0.5);
  metrics[`${k}: sequential p99 ms`] = percentile(seq, 0.99);
  metrics[`${k}: sequential max ms`] = percentile(seq, 1);
  metrics[`${k}: sequential server CPU %`] = seqCpu;
  metrics[`${k}: ×${cfg.concurrency} n`] = conc.length;
  metrics[`${k}: ×${cfg.concurrency} p50 ms`] = percentile(conc, 0.5);
  metrics[`${k}: ×${cfg.concurrency} p99 ms`] = percentile(conc, 0.99);
  metrics[`${k}: ×${cfg.concurrency} max ms`] = percentile(conc, 1);
  metrics[`${k}: ×${cfg.concurrency} req/s`] = round1(conc.length / concSeconds);
  metrics[`${k}: ×${cfg.concurrency} server CPU %`] = concCpu;
  ctx.log(
    `  ${k} (${what}, ${round1(first.body.length / 1024)} KiB): sequential n=${seq.length} p50 ${percentile(seq, 0.5)} p99 ${percentile(seq, 0.99)} max ${percentile(seq, 1)} ms; ×${cfg.concurrency} n=${conc.length} p50 ${percentile(conc, 0.5)} p99 ${percentile(conc, 0.99)} max ${percentile(conc, 1)} ms, ${round1(conc.length / concSeconds)} req/s`,
  );
}

async function connectDrivers(
  ctx: BenchContext,
  svc: RunningService,
  fleet: SeededFleet,
  count: number,
): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array(count);
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const progress = setInterval(
    () => ctx.log(`  connecting sensors: ${done}/${count} (${round1((performance.now() - t0) / 1000)} s)`),
    5_000,
  );
  try {
    // Each first login costs the server one PBKDF2 verification (~50 µs in its thread pool); a few
    // connections at a time are plenty.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) {
          const i = next++;
          const id = fleet.drivers[i]!.id;
          const client = await connectSensor(svc.mqttUrl, id, fleet.secret, {
            connectTimeout: 60_000,
            keepalive: 300,
          });
          // A connection reset (the service dying) must not take the bench down with it.
          client.on('error', () => {});
          clients[i] = client;
          done++;
        }
      }),
    );
  } catch (err) {
    await Promise.all(clients.filter(Boolean).map((c) => c.endAsync(true)));
    throw err;
  } finally {
    clearInterval(progress);
  }
  return clients;
}

async function measureLive(
  ctx: BenchContext,
  svc: RunningService,
  fleet: SeededFleet,
  cfg: Config,
  metrics: BenchResult['metrics'],
): Promise<void> {
  const drivers = fleet.drivers.slice(0, cfg.mqtt.sensors);
  if (drivers.length < cfg.mqtt.sensors) throw new Error(`only ${drivers.length} driver sensors seeded`);

  // One monitor token per township: the live page of a township command room.
  const townshipTokens: string[] = [];
  for (const gridId of fleet.townshipIds) {
    const r = await svc.api('POST', '/api/tokens', { role: 'monitor', gridId, name: `bench ${gridId}` });
    if (r.status !== 201) throw new Error(`POST /api/tokens: ${r.status} ${JSON.stringify(r.body)}`);
    townshipTokens.push(r.body.token as string);
  }
  const specs: SseClientSpec[] = [];
  for (let i = 0; i < cfg.sse.countyWide; i++)
    specs.push({ token: svc.adminToken, query: '', township: null });
  for (let i = 0; i < cfg.sse.township; i++) {
    const t = i % fleet.townshipIds.length;
    specs.push({ token: townshipTokens[t]!, query: '', township: t });
  }

  ctx.log(`connecting ${drivers.length} sensors over MQTT (one secret check each on the server)…`);
  const t0 = performance.now();
  const clients = await connectDrivers(ctx, svc, fleet, drivers.length);
  metrics['MQTT sensors connected (armed)'] = `${clients.length} (${drivers.filter((d) => d.armed).length})`;
  metrics['MQTT connect time s'] = round1((performance.now() - t0) / 1000);
  ctx.log(`  ${clients.length} sensors connected in ${metrics['MQTT connect time s']} s`);

  const sse = startSseFleet({ port: svc.httpPort, clients: specs, sensors: drivers, retryMs: 2_000 });
  try {
    const ready = await sse.ready;
    if (ready.failed.length > 0)
      throw new Error(`SSE clients failed: ${ready.failed.slice(0, 3).join('; ')}`);
    metrics['SSE clients (whole county / township)'] = `${cfg.sse.countyWide} / ${cfg.sse.township}`;
    ctx.log(
      `${ready.opened} SSE clients on /api/events (${cfg.sse.countyWide} whole county, ${cfg.sse.township} township-scoped)`,
    );
    await sleep(500);
    const counts = new Uint32Array(drivers.length);
    const peak = { mib: 0 };
    for (const phase of cfg.phases) {
      if (!(await runPhase(ctx, svc, sse, clients, drivers, counts, phase, peak, metrics))) break;
    }
    metrics['server peak RSS MiB (last seen)'] = peak.mib;
  } finally {
    await sse.terminate();
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  }
}

/**
 * One live phase: door changes at a fixed rate, then a drain; metrics prefixed with the rate. Answers false
 * when the service died during it (the metrics then say why and cover what happened until then).
 */
async function runPhase(
  ctx: BenchContext,
  svc: RunningService,
  sse: SseFleet,
  clients: MqttClient[],
  drivers: SeededFleet['drivers'],
  counts: Uint32Array,
  { rate, seconds, drainMs, warmUp }: Config['phases'][number],
  peak: { mib: number },
  metrics: BenchResult['metrics'],
): Promise<boolean> {
  ctx.log(`publishing ${rate} door changes/s for ${seconds} s${warmUp ? ' (warm-up, not reported)' : ''}…`);
  const total = rate * seconds;
  const topics = drivers.map((d) => `seal/${d.id}/event`);
  const puback = createLatencyHistogram();
  let sent = 0;
  let acked = 0;
  let pubErrors = 0;
  let maxBacklog = 0;
  const start = nowMs();
  let serverCpu: ReturnType<typeof cpuWindow> | null = null;
  let benchCpuStart = process.cpuUsage();
  let windowStart = start;
  let intervalCpu = cpuWindow(svc.pid);
  let serverCpuSoFar: number | null = null;
  const progressTimer = setInterval(() => {
    let cpuPct: number;
    let rss: number;
    try {
      cpuPct = intervalCpu.stop();
      intervalCpu = cpuWindow(svc.pid);
      const mem = processMemoryMiB(svc.pid);
      if (mem.rss === 0) return; // exited, not yet reaped
      rss = mem.rss;
      peak.mib = Math.max(peak.mib, mem.peak);
      // Kept in case the service dies before the end of the phase.
      if (serverCpu) serverCpuSoFar = (serverCpu as ReturnType<typeof cpuWindow>).stop();
    } catch {
      return; // the service is gone: the end of the phase reports it
    }
    const elapsed = Math.round((nowMs() - start) / 1000);
    void sse
      .progress()
      .then((p) =>
        ctx.log(
          `  ${elapsed} s: published ${sent}, acked ${acked}; SSE delivered ${round1((p.delivered / Math.max(1, p.expected)) * 100)} % of expected, cut-offs ${p.cutoffs}, lag over the last 5 s p50 ${round1(p.recent.p50)} p99 ${round1(p.recent.p99)} ms; server CPU ${cpuPct} %, RSS ${rss} MiB`,
        ),
      );
  }, 5_000);

  let diedAt: number | null = null;
  let lastCheck = start;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowMs();
      if (now - lastCheck > 250) {
        lastCheck = now;
        if (!alive(svc)) {
          diedAt = now;
          clearInterval(timer);
          resolve();
          return;
        }
      }
      const target = Math.min(total, Math.floor(((now - start) * rate) / 1000));
      maxBacklog = Math.max(maxBacklog, target - sent);
      const triples: number[] = [];
      while (sent < target) {
        const i = sent % drivers.length;
        const k = counts[i]!++;
        const ts = Date.now();
        const t = nowMs();
        // Drivers start closed: even counts open, odd ones close, so every message changes the door.
        clients[i]!.publish(
          topics[i]!,
          JSON.stringify({ type: k % 2 === 0 ? 'open' : 'close', ts, seq: k + 1 }),
          { qos: 1 },
          (err) => {
            if (err) pubErrors++;
            else {
              acked++;
              recordMs(puback, nowMs() - t);
            }
          },
        );
        triples.push(i, ts, t);
        sent++;
      }
      sse.published(triples);
      // CPU is measured from 2 s in (steady state) to the last publish.
      if (serverCpu === null && now - start >= 2_000) {
        serverCpu = cpuWindow(svc.pid);
        benchCpuStart = process.cpuUsage();
        windowStart = now;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 5);
  });
  clearInterval(progressTimer);
  const publishEnd = nowMs();
  const windowSeconds = (publishEnd - windowStart) / 1000;
  const benchCpu = process.cpuUsage(benchCpuStart);
  let serverCpuPct: number | string = 'n/a';
  let rssAtEnd: number | string = 'n/a';
  try {
    const mem = processMemoryMiB(svc.pid);
    if (mem.rss === 0) throw new Error('exited');
    serverCpuPct = (serverCpu as ReturnType<typeof cpuWindow> | null)?.stop() ?? 0;
    rssAtEnd = mem.rss;
    peak.mib = Math.max(peak.mib, mem.peak);
  } catch {
    diedAt ??= nowMs();
    if (serverCpuSoFar !== null) serverCpuPct = `${serverCpuSoFar} (until the last progress line)`;
  }

  // Drain: wait for the last PUBACKs and for the clients to receive what is on its way.
  const drainStart = nowMs();
  if (diedAt === null) {
    let p = await sse.progress();
    while (nowMs() - drainStart < drainMs && (p.delivered < p.expected || acked + pubErrors < sent)) {
      if (!alive(svc)) {
        diedAt = nowMs();
        break;
      }
      await sleep(250);
      p = await sse.progress();
    }
  }
  const drained = round1((nowMs() - drainStart) / 1000);
  const result = await sse.endPhase();
  if (warmUp && diedAt === null) return true;

  const county = result.clients.filter((c) => c.township === null);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const pct = (a: number, b: number) => (b === 0 ? 100 : Math.round((a / b) * 10_000) / 100);
  const ratios = result.clients.map((c) => pct(c.delivered, c.expected)).sort((a, b) => a - b);
  const delivered = sum(result.clients.map((c) => c.delivered));
  const expected = sum(result.clients.map((c) => c.expected));
  const pub = summarizeLatency(puback);
  const m = (key: string, value: number | string) => {
    metrics[`${rate}/s: ${key}`] = value;
  };
  if (diedAt !== null) {
    const reason = crashReason(svc);
    m('SERVICE EXITED', `${round1((diedAt - start) / 1000)} s into the phase: ${reason}`);
    ctx.log(`  the service exited ${round1((diedAt - start) / 1000)} s into the phase: ${reason}`);
  }
  m('door changes published (achieved/s)', `${sent} (${Math.round(sent / ((publishEnd - start) / 1000))})`);
  m('publisher max backlog (msgs)', maxBacklog);
  m('PUBACK p50 / p99 ms', `${round1(pub.p50)} / ${round1(pub.p99)}`);
  m('PUBACKs missing after drain', sent - acked - pubErrors);
  m('SSE seal lag p50 ms', round1(result.lag.p50));
  m('SSE seal lag p90 ms', round1(result.lag.p90));
  m('SSE seal lag p99 ms', round1(result.lag.p99));
  m('SSE seal lag max ms', round1(result.lag.max));
  m(
    'SSE seal lag p99 ms whole-county / township clients',
    `${round1(result.lagCountyWide.p99)} / ${round1(result.lagTownship.p99)}`,
  );
  m(
    'SSE seal events delivered / expected (all clients)',
    `${delivered} / ${expected} (${pct(delivered, expected)} %)`,
  );
  m(
    'SSE delivered % per client min / median',
    `${ratios[0] ?? 0} / ${ratios[Math.floor(ratios.length / 2)] ?? 0}`,
  );
  m('SSE clients with every event', result.clients.filter((c) => c.delivered >= c.expected).length);
  m(
    'SSE seal / alert events per whole-county client',
    `${county[0]?.expected ?? 0} / ${Math.round(sum(county.map((c) => c.alerts)) / Math.max(1, county.length))}`,
  );
  m(
    'SSE cut-offs / resets / unmatched frames',
    `${sum(result.clients.map((c) => c.cutoffs))} / ${sum(result.clients.map((c) => c.resets))} / ${result.unmatchedSealFrames}${diedAt === null ? '' : ' (streams ended by the exit count as cut-offs)'}`,
  );
  m('drain s (until all delivered, at most)', `${drained} (${drainMs / 1000})`);
  m(
    'SSE MiB/s received (all clients)',
    round1(sum(result.clients.map((c) => c.bytes)) / 1024 / 1024 / ((nowMs() - start) / 1000)),
  );
  m('server CPU % of one core', serverCpuPct);
  m('server RSS MiB at last publish', rssAtEnd);
  m(
    'bench process CPU % of one core',
    Math.round(((benchCpu.user + benchCpu.system) / 1e6 / windowSeconds) * 100),
  );
  m('SSE client thread loop utilisation', result.clientLoopUtilization);
  ctx.log(
    `  ${rate}/s: PUBACK p99 ${round1(pub.p99)} ms; SSE lag p50 ${round1(result.lag.p50)} p99 ${round1(result.lag.p99)} max ${round1(result.lag.max)} ms; delivered ${pct(delivered, expected)} % after ${drained} s drain, cut-offs ${sum(result.clients.map((c) => c.cutoffs))}; server CPU ${serverCpuPct} %, RSS ${rssAtEnd} MiB`,
  );
  return diedAt === null;
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const cfg = ctx.quick ? QUICK : FULL;
  const metrics: BenchResult['metrics'] = {};
  const loadBefore = os.loadavg()[0]!;
  buildService();
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-bench-api-scale-'));
  let svc: Awaited<ReturnType<typeof startService>> | null = null;
  try {
    ctx.log(`seeding ${cfg.shape.sensors} sensors into ${dataDir}…`);
    const fleet = await seedFleet(dataDir, {
      ...cfg.shape,
      drivers: cfg.mqtt.sensors,
      armedDriverEvery: cfg.mqtt.armedEvery,
    });
    metrics.sensors = fleet.sensors;
    metrics['grid nodes (county/townships/villages/groups)'] =
      `${fleet.gridNodes} (1/${cfg.shape.townships}/${cfg.shape.townships * cfg.shape.villagesPerTownship}/${fleet.groups})`;
    metrics['seed s (registry / seal states)'] = `${fleet.seconds.registry} / ${fleet.seconds.states}`;
    ctx.log(
      `  ${fleet.gridNodes} grid nodes, ${fleet.households} households with quarantines, ${fleet.sensors} sensors and seal states in ${round1(fleet.seconds.hash + fleet.seconds.registry + fleet.seconds.states)} s`,
    );

    const t0 = performance.now();
    // Seeded sensors do not send heartbeats: a long interval keeps the fleet online (and offline detection
    // from raising an outage for the whole county) for the length of the bench.
    svc = await startService({ dataDir, env: { HEARTBEAT_INTERVAL: '10m', ESCALATE_AFTER: '1h' } });
    metrics['service start with fleet s'] = round1((performance.now() - t0) / 1000);
    metrics['server RSS after start MiB'] = processMemoryMiB(svc.pid).rss;
    ctx.log(
      `service ready in ${metrics['service start with fleet s']} s (pid ${svc.pid}, RSS ${metrics['server RSS after start MiB']} MiB)`,
    );

    const township = fleet.townshipIds[2] ?? fleet.townshipIds[0]!;
    const scenarios: ApiScenario[] = [
      { label: 'GET /api/seals', path: '/api/seals' },
      {
        label: `GET /api/seals?gridId=<township>&online=false`,
        path: `/api/seals?gridId=${township}&online=false`,
      },
      { label: 'GET /api/overview', path: '/api/overview' },
    ];
    ctx.log('API latency (sequential, then concurrent)…');
    for (const s of scenarios) await measureApi(ctx, svc, cfg.api, s, metrics);

    await measureLive(ctx, svc, fleet, cfg, metrics);
  } catch (err) {
    // Say why the service stopped, when it did: its last warnings and errors (or lines that are not JSON).
    if (svc && !existsSync(`/proc/${svc.pid}`)) {
      const tail = svc.logs
        .filter((l) => typeof l === 'string' || Number(l.level) >= 40)
        .slice(-10)
        .map((l) => (typeof l === 'string' ? l : JSON.stringify(l)).slice(0, 500));
      throw new Error(
        `${(err as Error).message}; the service exited, its last warnings:\n${tail.join('\n')}`,
      );
    }
    throw err;
  } finally {
    if (svc) await svc.cleanup();
    else rmSync(dataDir, { recursive: true, force: true });
  }
  const busy = busyMachineNote(loadBefore, os.loadavg()[0]!);
  return {
    name: 'api-scale',
    metrics,
    notes: [
      `Fleet seeded through storage/sqlite (importRecords + commitIngest) before start: ${cfg.shape.sensors} households with one sensor and a quarantine each, all armed except the unarmed drivers below; live states ~3 % offline, ~3 % low battery, ~0.3 % open; every sensor has the same secret (one $7$ hash). HEARTBEAT_INTERVAL=10m so the silent seeded fleet stays online (no offline/outage wave) during the run.`,
      `API: 2 warm-up requests, then sequential (up to ${cfg.api.seqMax} requests or ${cfg.api.seqBudgetMs / 1000} s) and ${cfg.api.concurrency} concurrent clients (up to ${cfg.api.concMax} requests or ${cfg.api.concBudgetMs / 1000} s), admin token (whole tree), time to the last byte of the body; server CPU from /proc/<pid>/stat over each part. Idle service (no MQTT traffic).`,
      `Live: ${cfg.mqtt.sensors} sensors spread over every township, connected with their own id and the shared secret, publish native door events at QoS 1, round-robin, open/close alternating (every message changes the door), at ${cfg.phases.map((p) => `${p.rate}/s for ${p.seconds} s`).join(', then ')}; the SSE clients stay connected across phases. Every ${cfg.mqtt.armedEvery}th driver is on an armed household, so its openings raise or append to a breach alert (alert changes are SSE events too: counted, not in the lag); the other drivers' quarantine ended yesterday (sensor still installed), so their openings are logged, not alerted. All-armed drivers would measure alerting's one SQLite transaction (with fsync) per breach message rather than the live stream.`,
      'Lag = time the SSE client had the complete `seal` frame − time just before client.publish(), both process.hrtime in the same process (clients run in a worker thread); a frame is matched to its publish by sensor id and lastDoorChange (= the device ts sent). Expected = door changes published for sensors in the client’s scope; delivered counts frames until the drain ends. Clients cut off by the server reconnect after 2 s with Last-Event-ID, as EventSource does.',
      'Server CPU from /proc/<pid>/stat from 2 s after a phase’s first publish to its last (100 % = one core; the service’s JavaScript runs on one thread); service, publisher and SSE clients share two cores, so the bench process CPU is reported too.',
      ...(busy ? [busy] : []),
    ],
  };
}
