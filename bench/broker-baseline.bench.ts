/**
 * Broker baseline: the simulator's load generator (runLoad) against a bare Aedes (no hooks, own process) and
 * against Debian's mosquitto, QoS 1. Tells how much of SealWatch's ingest cost is the broker itself.
 * Each figure is the median of repeated runs, with the runs' spread, so a noisy machine shows as noise.
 */
import os from 'node:os';
import { type LoadSummary, runLoad } from '../simulator/load/runLoad.ts';
import { type RunningBroker, startBareAedesProcess, startMosquitto } from './lib/brokers.ts';
import { busyMachineNote, median, spreadPercent } from './lib/repeat.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const seconds = ctx.quick ? 2 : 8;
  const repeats = ctx.quick ? 1 : 3;
  const connections = ctx.quick ? 10 : 50;
  const fixedRate = ctx.quick ? 2000 : 5000;
  const inflight = 16;
  const loadBefore = os.loadavg()[0]!;
  const metrics: BenchResult['metrics'] = {
    connections,
    qos: 1,
    'seconds per run': seconds,
    repeats,
    fixedRate,
  };
  const brokers: Array<[string, () => Promise<RunningBroker>]> = [
    ['aedes', startBareAedesProcess],
    ['mosquitto', startMosquitto],
  ];
  for (const [key, start] of brokers) {
    const broker = await start();
    try {
      ctx.log(`${broker.name} on ${broker.url} (pid ${broker.pid})`);
      // Warm-up: JIT and socket buffers, not measured.
      await runLoad({ url: broker.url, connections, qos: 1, durationMs: 2000 });
      const max: LoadSummary[] = [];
      const fixed: LoadSummary[] = [];
      for (let i = 0; i < repeats; i++) {
        const m = await runLoad({
          url: broker.url,
          connections,
          qos: 1,
          durationMs: seconds * 1000,
          inflight,
        });
        ctx.log(
          `  max rate #${i + 1}: ${m.ackedPerSec} msg/s, PUBACK p50 ${m.pubackLatencyMs?.p50} p99 ${m.pubackLatencyMs?.p99} ms`,
        );
        max.push(m);
        const f = await runLoad({
          url: broker.url,
          connections,
          qos: 1,
          rate: fixedRate,
          durationMs: seconds * 1000,
        });
        ctx.log(
          `  ${fixedRate}/s #${i + 1}: PUBACK p50 ${f.pubackLatencyMs?.p50} p99 ${f.pubackLatencyMs?.p99} ms, skipped ${f.skipped}`,
        );
        fixed.push(f);
      }
      const lat = (runs: LoadSummary[], p: 'p50' | 'p99' | 'p999') =>
        median(runs.map((r) => r.pubackLatencyMs?.[p] ?? 0));
      metrics[`${key} max msgs/s`] = Math.round(median(max.map((r) => r.ackedPerSec)));
      metrics[`${key} max msgs/s spread %`] = spreadPercent(max.map((r) => r.ackedPerSec));
      metrics[`${key} max PUBACK p50 ms`] = lat(max, 'p50');
      metrics[`${key} max PUBACK p99 ms`] = lat(max, 'p99');
      metrics[`${key} @${fixedRate}/s PUBACK p50 ms`] = lat(fixed, 'p50');
      metrics[`${key} @${fixedRate}/s PUBACK p99 ms`] = lat(fixed, 'p99');
      metrics[`${key} @${fixedRate}/s PUBACK p99.9 ms`] = lat(fixed, 'p999');
      metrics[`${key} @${fixedRate}/s skipped`] = fixed.reduce((n, r) => n + r.skipped, 0);
      metrics[`${key} errors`] = [...max, ...fixed].reduce((n, r) => n + r.errors, 0);
    } finally {
      await broker.stop();
    }
  }
  const busy = busyMachineNote(loadBefore, os.loadavg()[0]!);
  return {
    name: 'broker-baseline',
    metrics,
    notes: [
      'Load generator: simulator/load/runLoad.ts, valid native heartbeats, one process; each broker in its own process.',
      `Max rate is closed-loop (${inflight} unacknowledged messages per connection): its latencies include queueing in that window.`,
      `Fixed rate is open-loop at ${fixedRate} msg/s over ${connections} connections: the latency a lightly loaded broker gives.`,
      `Figures are medians of ${repeats} run(s); "spread %" is the largest distance of a run from the median.`,
      'Broker and generator share the machine; on 2 cores the generator competes with the broker.',
      ...(busy ? [busy] : []),
    ],
  };
}
