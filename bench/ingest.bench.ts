/**
 * Ingest: many publishers over TCP at QoS 1 through SealWatch's whole path
 * (authentication, ACL, decode, de-dup, group commit to SQLite with fsync,
 * telemetry spool) against a bare Aedes with no hooks, same load generator,
 * same run. Target: ≥ 75 % of bare Aedes and ≥ 15,000 msg/s on two cores.
 */
import { runLoad } from '../simulator/load/runLoad.ts';
import { startService } from '../test/helpers/service.ts';
import { startBareAedesProcess } from './lib/brokers.ts';
import { processMemoryMiB } from './lib/processMemory.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const connections = ctx.quick ? 20 : 50;
  const durationMs = (ctx.quick ? 5 : 20) * 1000;
  const inflight = 16;
  const metrics: BenchResult['metrics'] = { connections, qos: 1, seconds: durationMs / 1000, inflight };

  // BENCH_CPU_PROF_DIR=<dir>: the service writes a V8 CPU profile there on exit (bench/lib/cpuProfileTop.ts reads it).
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const svc = await startService(
    profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {},
  );
  try {
    await svc.api('POST', '/api/grid', { id: 'bench', name: 'bench', parentId: null, level: 'county' });
    const credentials = [];
    for (let i = 0; i < connections; i++) {
      const id = `bench-${i}`;
      await svc.api('POST', '/api/households', { id: `h-${id}`, gridId: 'bench', address: `bench ${i}` });
      await svc.api('POST', '/api/quarantines', { householdId: `h-${id}`, start: new Date().toISOString() });
      const sensor = await svc.api('POST', '/api/sensors', { id, householdId: `h-${id}` });
      credentials.push({ sensorId: id, secret: sensor.body.secret as string });
    }
    ctx.log(`SealWatch on ${svc.mqttUrl} (pid ${svc.pid}), ${connections} sensors provisioned`);
    const idle = processMemoryMiB(svc.pid);
    await runLoad({ url: svc.mqttUrl, connections, qos: 1, durationMs: 2000, inflight, credentials });
    const full = await runLoad({ url: svc.mqttUrl, connections, qos: 1, durationMs, inflight, credentials });
    const mem = processMemoryMiB(svc.pid);
    ctx.log(
      `  sealwatch: ${full.ackedPerSec} msg/s, PUBACK p50 ${full.pubackLatencyMs?.p50} ms p99 ${full.pubackLatencyMs?.p99} ms, errors ${full.errors}, RSS ${mem.rss} MiB`,
    );
    metrics['sealwatch msgs/s'] = full.ackedPerSec;
    metrics['sealwatch PUBACK p50 ms'] = full.pubackLatencyMs?.p50 ?? 0;
    metrics['sealwatch PUBACK p99 ms'] = full.pubackLatencyMs?.p99 ?? 0;
    metrics['sealwatch errors'] = full.errors;
    metrics['sealwatch RSS idle MiB'] = idle.rss;
    metrics['sealwatch RSS under load MiB'] = mem.rss;
    metrics['sealwatch peak RSS MiB'] = mem.peak;
    const ingest = (await svc.api('GET', '/metrics', undefined, null)).body as string;
    const commits = /sealwatch_ingest\{counter="commits"\} (\d+)/.exec(ingest)?.[1];
    const accepted = /sealwatch_ingest\{counter="accepted"\} (\d+)/.exec(ingest)?.[1];
    if (commits && accepted)
      metrics['messages per commit (mean)'] = Math.round(Number(accepted) / Number(commits));
    if (accepted) metrics['sealwatch messages accepted'] = Number(accepted);
    // A graceful stop, so that --cpu-prof writes its profile (cleanup() kills).
    if (profileDir) await svc.stop();
  } finally {
    await svc.cleanup();
  }

  const bare = await startBareAedesProcess();
  try {
    await runLoad({ url: bare.url, connections, qos: 1, durationMs: 2000, inflight });
    const base = await runLoad({ url: bare.url, connections, qos: 1, durationMs, inflight });
    ctx.log(
      `  bare aedes: ${base.ackedPerSec} msg/s, PUBACK p50 ${base.pubackLatencyMs?.p50} ms p99 ${base.pubackLatencyMs?.p99} ms`,
    );
    metrics['bare aedes msgs/s'] = base.ackedPerSec;
    metrics['bare aedes PUBACK p50 ms'] = base.pubackLatencyMs?.p50 ?? 0;
    metrics['bare aedes PUBACK p99 ms'] = base.pubackLatencyMs?.p99 ?? 0;
    metrics['sealwatch / bare aedes'] =
      Math.round(((metrics['sealwatch msgs/s'] as number) / base.ackedPerSec) * 100) / 100;
  } finally {
    await bare.stop();
  }
  return {
    name: 'ingest',
    metrics,
    notes: [
      'Closed loop: each connection keeps 16 QoS 1 messages unacknowledged; heartbeats from simulator/load/runLoad.ts.',
      'SealWatch acknowledges only after the SQLite commit (synchronous=FULL, fsync) and the telemetry spool append.',
      'Generator, broker and (for SealWatch) the whole service share two cores.',
    ],
  };
}
