/**
 * Ingest: many publishers over TCP at QoS 1 through SealWatch's whole path
 * (authentication, ACL, decode, de-dup, group commit to SQLite with fsync,
 * telemetry spool to a real VictoriaMetrics) against a bare Aedes with no hooks, same load generator,
 * same run. Target: ≥ 75 % of bare Aedes and ≥ 15,000 msg/s on two cores.
 *
 * The machine is shared, so its load drifts during a run: the two brokers run in alternating rounds
 * (S B, B S, S B, …) and the ratio is of the medians, with the per-pair spread shown. CPU time per
 * message of each broker process is reported as well: it moves much less with the machine's load.
 * So are the load generator's and VictoriaMetrics' CPU per message and the cores the machine kept busy:
 * fewer cores busy in the SealWatch rounds than in the bare ones means its loop waited (a PUBACK waits
 * for its group's fsync), about as many means the CPU per message decided. A deeper window (48 in
 * flight) is measured after the main rounds for comparison.
 */
import { runLoad } from '../simulator/load/runLoad.ts';
import { startService } from '../test/helpers/service.ts';
import { startVictoriaMetrics } from '../test/helpers/victoriaMetrics.ts';
import { startBareAedesProcess } from './lib/brokers.ts';
import { machineBusyTicks } from './lib/machineCpu.ts';
import { clockTicks, processCpuSeconds } from './lib/processCpu.ts';
import { processMemoryMiB } from './lib/processMemory.ts';
import {
  type Buckets,
  histogramBuckets,
  histogramTotalsOfKind,
  quantileBetween,
} from './lib/promHistogram.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

interface Round {
  msgsPerSec: number;
  cpuUsPerMsg: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  /** CPU per message of the load generator (this process), and of VictoriaMetrics in SealWatch's rounds. */
  generatorUsPerMsg: number;
  victoriaMetricsUsPerMsg: number;
  /** Cores the whole machine kept busy over the sending phase (of two). */
  busyCores: number;
  /** SealWatch only: its commit groups' wait inside the service (/metrics), p50 and p99 in ms. */
  groupWaitMs?: { p50: number; p99: number };
  /** SealWatch only: its garbage collections over the round (/metrics), by kind. */
  gc?: Record<GcKind, { perSec: number; meanMs: number }>;
}

const GC_KINDS = ['minor', 'major'] as const;
type GcKind = (typeof GC_KINDS)[number];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;
const FIXED_RATE = 5_000;
/** Each broker's first seconds at FIXED_RATE, before the rounds that count (see there). */
const FIXED_WARM_UP_MS = 5_000;
/** The deeper closed-loop window, after the main rounds (see there). */
const DEEP_INFLIGHT = 48;

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const connections = ctx.quick ? 20 : 50;
  const rounds = ctx.quick ? 2 : 4;
  const durationMs = (ctx.quick ? 4 : 8) * 1000;
  const inflight = 16;
  const metrics: BenchResult['metrics'] = {
    connections,
    qos: 1,
    rounds,
    'seconds per round': durationMs / 1000,
    inflight,
  };

  // BENCH_CPU_PROF_DIR=<dir>: the service writes a V8 CPU profile there on exit (bench/lib/cpuProfileTop.ts reads it).
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const vm = await startVictoriaMetrics({ dedup: true });
  const svc = await startService({
    env: {
      INFLUX_URL: vm.url,
      INFLUX_API: 'v2',
      INFLUX_ORG: 'bench',
      INFLUX_BUCKET: 'bench',
      INFLUX_TOKEN: 'x',
    },
    // INGEST_NODE_ARGS (e.g. --optimize-for-size): the A/B of V8 flags on CPU per message.
    nodeArgs: [
      ...(process.env.INGEST_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
  });
  const bare = await startBareAedesProcess();
  try {
    await svc.api('POST', '/api/grid', { id: 'bench', name: 'bench', parentId: null, level: 'county' });
    const credentials: Array<{ sensorId: string; secret: string }> = [];
    for (let i = 0; i < connections; i++) {
      const id = `bench-${i}`;
      await svc.api('POST', '/api/households', { id: `h-${id}`, gridId: 'bench', address: `bench ${i}` });
      await svc.api('POST', '/api/quarantines', { householdId: `h-${id}`, start: new Date().toISOString() });
      const sensor = await svc.api('POST', '/api/sensors', { id, householdId: `h-${id}` });
      credentials.push({ sensorId: id, secret: sensor.body.secret as string });
    }
    ctx.log(
      `SealWatch on ${svc.mqttUrl} (pid ${svc.pid}), ${connections} sensors; bare Aedes on ${bare.url}`,
    );
    const idle = processMemoryMiB(svc.pid);

    const scrape = async (): Promise<{ groupWait: Buckets; text: string; at: number }> => {
      const text = (await svc.api('GET', '/metrics', undefined, null)).body as string;
      return {
        groupWait: histogramBuckets(text, 'sealwatch_ingest_group_wait_seconds'),
        text,
        at: performance.now(),
      };
    };
    /** The service's pauses for garbage collection between two scrapes (prom-client's default metrics). */
    const gcBetween = (
      before: { text: string; at: number },
      after: { text: string; at: number },
    ): NonNullable<Round['gc']> => {
      const name = 'sealwatch_process_nodejs_gc_duration_seconds';
      const of = (kind: GcKind) => {
        const [a, b] = [
          histogramTotalsOfKind(before.text, name, kind),
          histogramTotalsOfKind(after.text, name, kind),
        ];
        const count = b.count - a.count;
        return {
          perSec: round2(count / ((after.at - before.at) / 1000)),
          meanMs: count > 0 ? round2((1000 * (b.sum - a.sum)) / count) : 0,
        };
      };
      return { minor: of('minor'), major: of('major') };
    };
    /** One round: a closed loop (`inflight` unacknowledged per connection) or a fixed `rate`, as `pace` says. */
    const measure = async (
      which: 'sealwatch' | 'bare',
      ms: number,
      pace: { inflight: number } | { rate: number } = { inflight },
    ): Promise<Round> => {
      const pid = which === 'sealwatch' ? svc.pid : bare.pid;
      const url = which === 'sealwatch' ? svc.mqttUrl : bare.url;
      // CPU per message over the sending phase only: connecting (password hashing) is not per message.
      const marks: Array<{
        cpu: number;
        acked: number;
        generator: number;
        victoriaMetrics: number;
        busy: number;
        at: number;
      }> = [];
      const vmCpu = () => (which === 'sealwatch' && vm.pid !== null ? processCpuSeconds(vm.pid) : 0);
      const before = which === 'sealwatch' ? await scrape() : null;
      const load = await runLoad({
        url,
        connections,
        qos: 1,
        durationMs: ms,
        // A fixed rate is an open loop (runLoad.ts): what cannot be sent on time is skipped, not queued.
        ...pace,
        progressIntervalMs: 500,
        onProgress: (snap) => {
          if (snap.phase !== 'sending') return;
          const own = process.cpuUsage();
          marks.push({
            cpu: processCpuSeconds(pid),
            acked: snap.acked,
            generator: (own.user + own.system) / 1e6,
            victoriaMetrics: vmCpu(),
            busy: machineBusyTicks(),
            at: performance.now(),
          });
        },
        ...(which === 'sealwatch' ? { credentials } : {}),
      });
      const [first, last] = [marks[0], marks.at(-1)];
      const acked = first && last ? last.acked - first.acked : 0;
      const after = before ? await scrape() : null;
      const perMsg = (key: 'cpu' | 'generator' | 'victoriaMetrics') =>
        first && last && acked > 0 ? ((last[key] - first[key]) * 1e6) / acked : 0;
      const waitMs = (q: number) =>
        round2(1000 * (before && after ? (quantileBetween(before.groupWait, after.groupWait, q) ?? 0) : 0));
      return {
        ...(before && after
          ? { groupWaitMs: { p50: waitMs(0.5), p99: waitMs(0.99) }, gc: gcBetween(before, after) }
          : {}),
        msgsPerSec: load.ackedPerSec,
        cpuUsPerMsg: perMsg('cpu'),
        generatorUsPerMsg: perMsg('generator'),
        victoriaMetricsUsPerMsg: perMsg('victoriaMetrics'),
        busyCores:
          first && last && last.at > first.at
            ? (last.busy - first.busy) / clockTicks() / ((last.at - first.at) / 1000)
            : 0,
        p50: load.pubackLatencyMs?.p50 ?? 0,
        p99: load.pubackLatencyMs?.p99 ?? 0,
        p999: load.pubackLatencyMs?.p999 ?? 0,
        errors: load.errors,
      };
    };
    /** `count` rounds of each broker, alternating which goes first (S B, B S, …). */
    const alternating = async (
      count: number,
      one: (which: 'sealwatch' | 'bare') => Promise<Round>,
      afterPair?: (s: Round, b: Round, r: number) => void,
    ): Promise<Record<'sealwatch' | 'bare', Round[]>> => {
      const by: Record<'sealwatch' | 'bare', Round[]> = { sealwatch: [], bare: [] };
      for (let r = 0; r < count; r++) {
        for (const which of r % 2 === 0 ? (['sealwatch', 'bare'] as const) : (['bare', 'sealwatch'] as const))
          by[which].push(await one(which));
        afterPair?.(by.sealwatch[r] as Round, by.bare[r] as Round, r);
      }
      return by;
    };
    // PUBACK latency at a fixed 5,000 msg/s (issue 20.1's goal: p99 ≤ 5 ms; Mosquitto's is in
    // broker-baseline), before any full-speed round. A burst at full speed disturbs the service's
    // latency after it (ad hoc, p99 in 2 s windows at 5,000 msg/s over the 16 s after a 2 s burst:
    // 6.9–30.3 ms, median 10.9, against 5.9–9.8, median 7.5, after a start at this rate; why is not
    // pinned down), so the warm-up before these rounds is at the fixed rate itself: its first seconds
    // are the JIT's (p99 40–120 ms in the first 2–5 s of a cold process), reported, not counted.
    const warmUps = { sealwatch: 0, bare: 0 };
    for (const which of ['sealwatch', 'bare'] as const)
      warmUps[which] = (await measure(which, FIXED_WARM_UP_MS, { rate: FIXED_RATE })).p99;
    metrics[
      `first ${FIXED_WARM_UP_MS / 1000} s at ${FIXED_RATE} msg/s (warm-up, not counted): PUBACK p99 ms, sealwatch / bare aedes`
    ] = `${warmUps.sealwatch} / ${warmUps.bare}`;
    const steady = await alternating(ctx.quick ? 1 : 2, (which) =>
      measure(which, durationMs, { rate: FIXED_RATE }),
    );
    for (const which of ['sealwatch', 'bare'] as const) {
      const label = which === 'sealwatch' ? 'sealwatch' : 'bare aedes';
      metrics[`${label} at ${FIXED_RATE} msg/s: PUBACK p50 ms (median)`] = round2(
        median(steady[which].map((r) => r.p50)),
      );
      metrics[`${label} at ${FIXED_RATE} msg/s: PUBACK p99 ms (median)`] = round2(
        median(steady[which].map((r) => r.p99)),
      );
      metrics[`${label} at ${FIXED_RATE} msg/s: PUBACK p99.9 ms (median)`] = round2(
        median(steady[which].map((r) => r.p999)),
      );
    }
    // Each collection pauses the loop: a PUBACK due then waits for it (issue 20.1's tail).
    const gcs = steady.sealwatch.map((r) => r.gc);
    for (const kind of GC_KINDS)
      metrics[`sealwatch at ${FIXED_RATE} msg/s: ${kind} GCs per s / mean pause ms (median)`] =
        `${round2(median(gcs.map((g) => g?.[kind].perSec ?? 0)))} / ${round2(median(gcs.map((g) => g?.[kind].meanMs ?? 0)))}`;
    // Inside the service: from a group's first message to the group being durable (/metrics). What the
    // generator sees beyond it is the way there and back: sockets, broker, scheduling on two shared cores.
    const waits = steady.sealwatch.map((r) => r.groupWaitMs ?? { p50: 0, p99: 0 });
    metrics[`sealwatch at ${FIXED_RATE} msg/s: commit group wait inside the service p50 / p99 ms (median)`] =
      `${round2(median(waits.map((w) => w.p50)))} / ${round2(median(waits.map((w) => w.p99)))}`;
    ctx.log(
      `  at ${FIXED_RATE} msg/s: sealwatch PUBACK p99 ${steady.sealwatch.map((r) => r.p99).join(', ')} ms (group wait inside the service p99 ${waits.map((w) => w.p99).join(', ')} ms), bare ${steady.bare.map((r) => r.p99).join(', ')} ms`,
    );
    // The full-speed rounds' own warm-up.
    await measure('sealwatch', 2000);
    await measure('bare', 2000);
    const { sealwatch: ours, bare: base } = await alternating(
      rounds,
      (which) => measure(which, durationMs),
      (s, b, r) =>
        ctx.log(
          `  round ${r + 1}: sealwatch ${s.msgsPerSec} msg/s (${s.cpuUsPerMsg.toFixed(1)} µs CPU/msg, generator ${s.generatorUsPerMsg.toFixed(1)}, VictoriaMetrics ${s.victoriaMetricsUsPerMsg.toFixed(1)}, ${s.busyCores.toFixed(2)} cores busy, PUBACK p99 ${s.p99} ms), bare ${b.msgsPerSec} msg/s (${b.cpuUsPerMsg.toFixed(1)} µs CPU/msg, generator ${b.generatorUsPerMsg.toFixed(1)}, ${b.busyCores.toFixed(2)} cores busy): ${round2(s.msgsPerSec / b.msgsPerSec)}`,
        ),
    );
    // The same closed loop with a window three times as deep: where 16 in flight leave the generator
    // waiting for SealWatch's PUBACKs (each waits for its group's fsync; a quick run's 20 connections
    // kept 1.3 cores busy against bare Aedes' 1.6), 48 keep both loops busy, and the ratio is what the
    // CPU per message allows.
    const { sealwatch: deepOurs, bare: deepBase } = await alternating(
      ctx.quick ? 1 : 2,
      (which) => measure(which, durationMs, { inflight: DEEP_INFLIGHT }),
      (s, b, r) =>
        ctx.log(
          `  ${DEEP_INFLIGHT} in flight, round ${r + 1}: sealwatch ${s.msgsPerSec} msg/s (${s.busyCores.toFixed(2)} cores busy), bare ${b.msgsPerSec} msg/s (${b.busyCores.toFixed(2)} cores busy): ${round2(s.msgsPerSec / b.msgsPerSec)}`,
        ),
    );
    const deepLabel = `${DEEP_INFLIGHT} in flight per connection`;
    metrics[`${deepLabel}: sealwatch / bare aedes msgs/s (median)`] =
      `${median(deepOurs.map((r) => r.msgsPerSec))} / ${median(deepBase.map((r) => r.msgsPerSec))}`;
    metrics[`${deepLabel}: sealwatch / bare aedes`] = round2(
      median(deepOurs.map((r) => r.msgsPerSec)) / median(deepBase.map((r) => r.msgsPerSec)),
    );
    metrics[`${deepLabel}: cores busy, sealwatch / bare aedes rounds (median)`] =
      `${round2(median(deepOurs.map((r) => r.busyCores)))} / ${round2(median(deepBase.map((r) => r.busyCores)))}`;
    metrics[`${deepLabel}: sealwatch PUBACK p50 / p99 ms (median)`] =
      `${round2(median(deepOurs.map((r) => r.p50)))} / ${round2(median(deepOurs.map((r) => r.p99)))}`;

    const mem = processMemoryMiB(svc.pid);
    const pairRatios = ours.map((s, i) => s.msgsPerSec / (base[i] as Round).msgsPerSec);
    metrics['sealwatch msgs/s (median)'] = median(ours.map((r) => r.msgsPerSec));
    metrics['bare aedes msgs/s (median)'] = median(base.map((r) => r.msgsPerSec));
    metrics['sealwatch / bare aedes'] = round2(
      (metrics['sealwatch msgs/s (median)'] as number) / (metrics['bare aedes msgs/s (median)'] as number),
    );
    metrics['per-round ratios'] = pairRatios.map(round2).join(' ');
    metrics['sealwatch CPU µs/msg (median)'] = round2(median(ours.map((r) => r.cpuUsPerMsg)));
    metrics['bare aedes CPU µs/msg (median)'] = round2(median(base.map((r) => r.cpuUsPerMsg)));
    metrics['bare / sealwatch CPU per message'] = round2(
      (metrics['bare aedes CPU µs/msg (median)'] as number) /
        (metrics['sealwatch CPU µs/msg (median)'] as number),
    );
    // The closed loop keeps both cores about equally busy with either broker: what a message costs the
    // machine (generator, broker and, for SealWatch, VictoriaMetrics) decides the rate. The ratio those
    // costs predict is shown beside the measured one (issue 20.1: "where a peer is faster, find out why").
    const machineCost = (rs: Round[]) =>
      median(rs.map((r) => r.generatorUsPerMsg + r.cpuUsPerMsg + r.victoriaMetricsUsPerMsg));
    metrics['load generator CPU µs/msg, sealwatch / bare aedes rounds (median)'] =
      `${round2(median(ours.map((r) => r.generatorUsPerMsg)))} / ${round2(median(base.map((r) => r.generatorUsPerMsg)))}`;
    metrics['VictoriaMetrics CPU µs/msg (median)'] = round2(
      median(ours.map((r) => r.victoriaMetricsUsPerMsg)),
    );
    metrics['cores busy, sealwatch / bare aedes rounds (median)'] =
      `${round2(median(ours.map((r) => r.busyCores)))} / ${round2(median(base.map((r) => r.busyCores)))}`;
    metrics['machine CPU µs/msg: generator + broker (+ VictoriaMetrics), sealwatch / bare aedes (median)'] =
      `${round2(machineCost(ours))} / ${round2(machineCost(base))}`;
    metrics['ratio the machine CPU per message predicts'] = round2(machineCost(base) / machineCost(ours));
    metrics['sealwatch PUBACK p50 ms (median)'] = median(ours.map((r) => r.p50));
    metrics['sealwatch PUBACK p99 ms (median)'] = median(ours.map((r) => r.p99));
    metrics['bare aedes PUBACK p50 ms (median)'] = median(base.map((r) => r.p50));
    metrics['bare aedes PUBACK p99 ms (median)'] = median(base.map((r) => r.p99));
    metrics['sealwatch errors'] = ours.reduce((n, r) => n + r.errors, 0);
    metrics['sealwatch RSS idle MiB'] = idle.rss;
    metrics['sealwatch RSS under load MiB'] = mem.rss;
    metrics['sealwatch peak RSS MiB'] = mem.peak;
    const ingest = (await svc.api('GET', '/metrics', undefined, null)).body as string;
    const commits = /sealwatch_ingest\{counter="commits"\} (\d+)/.exec(ingest)?.[1];
    const accepted = /sealwatch_ingest\{counter="accepted"\} (\d+)/.exec(ingest)?.[1];
    if (commits && accepted) {
      metrics['messages per commit (mean)'] = Math.round(Number(accepted) / Number(commits));
      metrics['sealwatch messages accepted'] = Number(accepted);
    }
    ctx.log(
      `  sealwatch / bare aedes ${metrics['sealwatch / bare aedes']} (rounds ${metrics['per-round ratios']}), CPU per message ${metrics['bare / sealwatch CPU per message']}`,
    );
    // A graceful stop, so that --cpu-prof writes its profile (cleanup() kills).
    if (profileDir) await svc.stop();
  } finally {
    await bare.stop();
    await svc.cleanup();
    await vm.close();
  }
  return {
    name: 'ingest',
    metrics,
    notes: [
      'Closed loop: each connection keeps 16 QoS 1 messages unacknowledged; heartbeats from simulator/load/runLoad.ts.',
      `Before the full-speed rounds, ${FIXED_RATE} msg/s from the same connections (open loop), alternating the brokers: PUBACK latency at a rate both keep up with. Each broker first runs ${FIXED_WARM_UP_MS / 1000} s at that rate, not counted (its p99 is reported): a cold process's first seconds and the aftermath of a full-speed burst are not a steady ${FIXED_RATE} msg/s.`,
      'SealWatch acknowledges only after the SQLite commit is on disk (the group written with synchronous=NORMAL, then an fdatasync of the WAL on the thread pool: storage/sqlite/walFlush.ts) and the telemetry spool append; the spool is sent to a VictoriaMetrics on 127.0.0.1.',
      'Rounds alternate between the two brokers (both processes up all along); the ratio is of the medians. CPU µs/msg is the broker process alone (user + system, /proc) over the sending phase.',
      'Generator, broker and (for SealWatch) the whole service share two cores with whatever else runs on the machine.',
      `Then the same closed loop with ${DEEP_INFLIGHT} messages in flight per connection (alternating again), for comparison: the goal is judged at 16. Where SealWatch's rounds at 16 keep fewer cores busy than bare Aedes', its loop waits (each PUBACK waits for its group's fsync).`,
      'Cores busy: the whole machine over the sending phase (/proc/stat). The generator is this bench process (runLoad.ts, mqtt.js). "Machine CPU per message" adds the generator, the broker process and, for SealWatch, VictoriaMetrics; when the cores busy are about equal in both kinds of round, the rates go inversely with it, and "the ratio it predicts" is bare ÷ sealwatch of that cost.',
    ],
  };
}
