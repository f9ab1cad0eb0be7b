/**
 * Broker baseline: the simulator's load generator (runLoad) against a bare Aedes (no hooks, own process) and
 * against Debian's mosquitto, QoS 1. Tells how much of SealWatch's ingest cost is the broker itself.
 */
import { runLoad } from '../simulator/load/runLoad.ts';
import { type RunningBroker, startBareAedesProcess, startMosquitto } from './lib/brokers.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const seconds = ctx.quick ? 3 : 15;
  const connections = ctx.quick ? 10 : 50;
  const fixedRate = ctx.quick ? 2000 : 5000;
  const metrics: BenchResult['metrics'] = { connections, qos: 1, seconds, fixedRate };
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
      const max = await runLoad({
        url: broker.url,
        connections,
        qos: 1,
        durationMs: seconds * 1000,
        inflight: 16,
      });
      ctx.log(
        `  max rate: ${max.ackedPerSec} msg/s acked, PUBACK p50 ${max.pubackLatencyMs?.p50} ms p99 ${max.pubackLatencyMs?.p99} ms, errors ${max.errors}`,
      );
      const fixed = await runLoad({
        url: broker.url,
        connections,
        qos: 1,
        rate: fixedRate,
        durationMs: seconds * 1000,
      });
      ctx.log(
        `  ${fixedRate}/s: PUBACK p50 ${fixed.pubackLatencyMs?.p50} ms p99 ${fixed.pubackLatencyMs?.p99} ms, skipped ${fixed.skipped}`,
      );
      metrics[`${key} max msgs/s`] = max.ackedPerSec;
      metrics[`${key} max PUBACK p50 ms`] = max.pubackLatencyMs?.p50 ?? 0;
      metrics[`${key} max PUBACK p99 ms`] = max.pubackLatencyMs?.p99 ?? 0;
      metrics[`${key} @${fixedRate}/s PUBACK p50 ms`] = fixed.pubackLatencyMs?.p50 ?? 0;
      metrics[`${key} @${fixedRate}/s PUBACK p99 ms`] = fixed.pubackLatencyMs?.p99 ?? 0;
      metrics[`${key} @${fixedRate}/s PUBACK p99.9 ms`] = fixed.pubackLatencyMs?.p999 ?? 0;
      metrics[`${key} errors`] = max.errors + fixed.errors;
    } finally {
      await broker.stop();
    }
  }
  return {
    name: 'broker-baseline',
    metrics,
    notes: [
      'Load generator: simulator/load/runLoad.ts, valid native heartbeats, one process, brokers in their own processes.',
      'Max rate is closed-loop (16 unacknowledged messages per connection), so its latencies include queueing in the window.',
      `Fixed rate is open-loop at ${fixedRate} msg/s over ${connections} connections: the latency a lightly loaded broker gives.`,
      'Both the broker and the generator share the same machine; on 2 cores the generator competes with the broker.',
    ],
  };
}
