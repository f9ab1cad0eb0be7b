/**
 * The Node.js options the service runs with, wherever it is started: package.json's `start`, the
 * Dockerfile's CMD, deploy/systemd/sealwatch.service, and the tests' and benches' service
 * (test/helpers/service.ts). test/unit/project/nodeFlags.test.ts checks that they all carry them;
 * the service warns at start when it runs without one (app/main.ts).
 */
export const SERVICE_NODE_FLAGS = [
  // Stack traces name the TypeScript source, not the bundle (dist/main.js.map).
  '--enable-source-maps',
  // V8's young generation kept at the size it grows to under load: 16 MB a semi-space, V8's own
  // maximum on 64 bits in Node 20. V8 shrinks it towards this minimum (1 MB by default) whenever
  // allocation slows below 1,000 bytes a ms, as while seals report hourly (V8's src/heap/heap.cc,
  // Heap::ShouldResizeNewSpace; SemiSpaceNewSpace::Shrink stops at the initial size, which this
  // option sets), and grows it back only by doubling, each time more than its size has survived.
  // The first seconds of a burst after a quiet spell then scavenged every 20–45 ms and moved
  // everything in flight (messages waiting for their commit group, telemetry waiting for its batch)
  // into the old generation, and that brought mark-compacts 2–3 s apart into the burst: 4–5 in 2
  // bursts after 16 s of quiet, none with the option; PUBACK p99 at 5,000 msg/s 4.2–8.7 ms (median
  // 5.4) against 3.6–5.4 (median 4.4) (issue 20.1; README, "Ingest throughput"). RSS did not change
  // measurably (at idle after load 162–167 MiB both ways): the peak is the same 16 MB, only not
  // given back.
  '--min-semi-space-size=16',
] as const;

/** The service's options missing from `execArgv` (process.execArgv: the options node was started with). */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  return SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
